"""Place-name normalisation for matching municipality and woonplaats names.

Intake records spell places in many ways: Frisian or Dutch diacritics (``Súdwest-Fryslân`` vs
``Sudwest Fryslan``), apostrophes (``'t Zandt``), abbreviations with dots and hyphens
(``St.-Annaparochie``) and any letter case. Routing compares names only through
``normalize_name`` so that all these spellings meet in one key.

Invariant: the result contains only case-folded alphanumeric characters without combining
marks, so two names that differ only in case, diacritics, spaces or punctuation normalise equally.
"""

from __future__ import annotations

import unicodedata


def normalize_name(text: str) -> str:
    """Return the matching key of a place name.

    Casefolds, decomposes (NFKD) and drops combining marks, so ``â`` matches ``a`` and the
    ligature ``Ĳ`` matches ``ij``; then keeps only alphanumerics, so hyphens, spaces,
    apostrophes and dots do not matter. An input without letters or digits gives ``""``,
    which callers treat as "no name".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Casefolding can itself produce characters that decompose further, hence NFKD after it.
    return "".join(char for char in decomposed if char.isalnum() and not unicodedata.combining(char))
