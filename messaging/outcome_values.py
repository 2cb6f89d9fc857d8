"""The values of the outcome fields: yes/no answers, contact forms, life domains and the note.

Each reader takes the text after a field's key and returns ``(value, issues)``: ``value`` is ``None`` when the
field is not answered (blank, or the template's own placeholder left in), and ``issues`` holds
``(fragment, Dutch message)`` pairs for what could not be read; the fragment locates the sender's line.

Invariants: nothing is guessed. Values match exactly (case, punctuation and doubled letters aside) or within a
small edit distance; a value within reach of two different meanings is an issue, not a choice. The words Koers
itself writes (``workflows.labels``: ``ja``, ``reactie op de brief`` ...) are always among the accepted ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple, TypeVar

from workflows.labels import ANSWERS, CONTACT_FORMS
from workflows.model import Answer, ContactForm

V = TypeVar("V")
NOTE_MAX_CHARS: Final = 2000


class Issue(NamedTuple):
    """Something in a value that could not be read: ``fragment`` locates the sender's line, ``message`` is Dutch.

    ``doubtful`` issues make the field doubtful (it is asked back); the others only flag what was set aside
    (an unknown word in a list, kept in the note) while the field itself is certain.
    """

    fragment: str
    message: str
    doubtful: bool = True


Issues = tuple[Issue, ...]
_MAX_DOMAIN_ITEMS: Final = 30
_HEAD = re.compile(r"[,;(]|\s[-–—]\s|[.!]\s")
_DOMAIN_SPLIT = re.compile(r"[,;/()\n•+&]|\s(?:en|and|of|-)\s")
_PUNCTUATION = re.compile(r"[.!?*\"'`\[\]:]")
_BLANK = re.compile(r"[\s.…_\-–—]")
_REPEATS = re.compile(r"(.)\1+")
_PLACEHOLDER_EXAMPLE = re.compile(r"\(?\s*(?:bijv|bv|bijvoorbeeld|e\.g)\b")
_PARENTHESES = re.compile(r"\(([^()]{0,200})\)")


def index_synonyms(groups: Mapping[V, str]) -> Mapping[str, V]:
    """Invert ``{value: "synonym|synonym"}`` into ``{synonym: value}`` (synonyms lower case)."""
    return MappingProxyType(
        {word.strip().lower(): value for value, words in groups.items() for word in words.split("|")}
    )


_LIFE_DOMAIN_WORDS: Final = {
    "huisvesting": "huisvesting|wonen|woning|huis|woonruimte|onderdak|dakloos|dak boven het hoofd|housing|"
    "woonsituatie|huurwoning",
    "inkomen": "inkomen|uitkering|geld|bijstand|inkomsten|income|benefits",
    "schulden": "schulden|schuld|schuldhulp|schuldhulpverlening|schuldsanering|debts|debt|schuldenproblematiek",
    "werk": "werk|baan|dagbesteding|opleiding|school|onderwijs|werkgever|work|job",
    # Not "verslaving": the self-sufficiency matrix staff work with has addiction as a domain of its own.
    "zorg": "zorg|ggz|gezondheid|medisch|psychisch|verslavingszorg|health|care",
    "relaties": "relaties|relatie|gezin|partner|kinderen|netwerk|familie|relations|family",
    "identiteitsbewijs": "identiteitsbewijs|id|id-kaart|id kaart|idkaart|identiteitskaart|paspoort|legitimatie",
    "justitie": "justitie|reclassering|justice|probation",
    # An umbrella word staff use for income and debts together: its own domain, never guessed into one of them.
    "financiën": "financiën|financien|financieel|financiële situatie|geldzaken|geldzaak|budget|budgetbeheer|finances",
}
LIFE_DOMAINS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {name: tuple(words.split("|")) for name, words in _LIFE_DOMAIN_WORDS.items()}
)
_DOMAINS: Final = index_synonyms(_LIFE_DOMAIN_WORDS)


_ANSWER_WORDS: Final = {
    Answer.YES: "j|yes|y|jawel|jazeker|ja hoor|jep|yep|zeker",
    Answer.NO: "n|no|neen|nope|nee hoor|geen|niet gelukt|niet bereikt|geen contact|niet gesproken",
    Answer.UNKNOWN: "weet niet|weet ik niet|unknown|nvt|niet van toepassing|nog onbekend|niet bekend",
}
_ANSWERS: Final = index_synonyms({answer: f"{ANSWERS[answer]}|{words}" for answer, words in _ANSWER_WORDS.items()})
_FORM_WORDS: Final = {
    ContactForm.LETTER: "reactie op brief|brief|schriftelijk|letter|via brief|per brief|n a v brief|nav brief",
    ContactForm.PHONE: "telefoon|gebeld|bellen|phone|telephone|call|tel|telefonisch contact|per telefoon|"
    "telefonisch gesproken|belcontact|telefonisch gesprek",
    ContactForm.VISIT: "bezoek|bezocht|langs geweest|visit|home visit|op bezoek|thuisbezoek|langsgegaan|bij hem thuis|"
    "bij haar thuis",
    ContactForm.OTHER: "other|overig|e-mail|email|mail|per mail|whatsapp|sms|spreekuur|op kantoor|gemeentehuis|"
    "beeldbellen|videobellen|balie",
}
_FORMS: Final = index_synonyms({form: f"{CONTACT_FORMS[form]}|{words}" for form, words in _FORM_WORDS.items()})
_ANSWERS_COLLAPSED: Final = {_REPEATS.sub(r"\1", word): answer for word, answer in _ANSWERS.items()}
_FORM_PATTERNS: Final = {
    form: re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word, f in _FORMS.items() if f is form))
    for form in ContactForm
}
_MARKS: Final = {"✅": Answer.YES, "✔": Answer.YES, "☑": Answer.YES, "✓": Answer.YES, "👍": Answer.YES,
                 "❌": Answer.NO, "✖": Answer.NO, "✗": Answer.NO, "❎": Answer.NO, "👎": Answer.NO}  # fmt: skip
_ANSWER_PLACEHOLDERS: Final = frozenset({"ja/nee", "jaofnee", "yes/no", "j/n", "ja/nee/onbekend"})
_NONE_WORDS: Final = frozenset({"geen", "nvt", "niet van toepassing", "none", "onbekend", "geen leefgebieden"})


def _norm_value(text: str) -> str:
    return " ".join(_PUNCTUATION.sub("", _without_symbols(text).lower()).split()).strip("-–• ")


def _without_symbols(text: str) -> str:
    """``ja 👍``, ``ja ✓``: emoji and other symbols say nothing a word does not say."""
    if text.isascii():
        return text
    return "".join(" " if unicodedata.category(char)[0] == "S" or char in "\ufe0f\u200d" else char for char in text)


def _is_blank(value: str) -> bool:
    return not _BLANK.sub("", value)


# "ja, denk ik": the sender is not sure either. "nee, nog niet": the answer may change (contact and actions only;
# "bekend: nee, nog niet" is a certain no). "ja, met zijn zus": contact was with someone else than the person.
_DOUBT = re.compile(r"\b(?:denk (?:ik|het)|misschien|waarschijnlijk|wellicht|vermoedelijk|volgens mij|geloof ik"
                    r"|ik geloof|i think|probably|maybe)\b")
_NOT_YET = re.compile(r"\b(?:nog (?:niet|geen)|voorlopig (?:niet|geen)|not yet)\b")
_SOMEONE_ELSE = re.compile(
    r"\b(?:met|via) (?:zijn|haar|z'n|d'r|de|het|hun|een) (?:\w+ )?(?:zus|broer|moeder|vader|ouders|partner|vrouw"
    r"|man|vriend|vriendin|buurman|buurvrouw|buren|bewindvoerder|advocaat|begeleider|familie|dochter|zoon|mentor"
    r"|oom|tante|werkgever|hulpverlener|casemanager)\b"
)


def read_answer(value: str) -> tuple[Answer | None, Issues]:
    """A yes/no/unknown answer: ``Ja.``, ``nee!``, ``jaa``, ``weet niet``, ``?``; ``ja, gebeld`` reads as yes.

    A hedge (``ja, denk ik``) makes it doubtful."""
    return _hedged(value, read_plain_answer(value), _DOUBT)


def read_progress_answer(value: str) -> tuple[Answer | None, Issues]:
    """An answer about progress (contact, actions): ``nee, nog niet`` may still change, so it is doubtful too."""
    return _hedged(value, read_answer(value), _NOT_YET)


def read_contact_answer(value: str) -> tuple[Answer | None, Issues]:
    """Contact: a yes with someone else than the person (``ja, met zijn zus``) is doubtful."""
    answer, issues = read_progress_answer(value)
    if answer is Answer.YES and _SOMEONE_ELSE.search(_norm_value(value)):
        message = f"'{value.strip()}' noemt contact met een ander: was er contact met de persoon zelf?"
        return None, (Issue(value, message),)
    return answer, issues


def _hedged(value: str, read: tuple[Answer | None, Issues], hedge: re.Pattern[str]) -> tuple[Answer | None, Issues]:
    answer, issues = read
    if answer in (Answer.YES, Answer.NO) and hedge.search(_norm_value(value)):
        return None, (Issue(value, f"'{value.strip()}' is nog niet zeker: antwoord met ja of nee als het vaststaat"),)
    return answer, issues


def read_plain_answer(value: str) -> tuple[Answer | None, Issues]:
    """The yes/no/unknown word alone, hedges not considered; a check mark (``✅``, ``❌``) is a yes or no of its own,
    and a mark that disagrees with the word beside it is an issue."""
    marks = {answer for mark, answer in _MARKS.items() if mark in value}
    answer, issues = _read_words(value)
    if not marks:
        return answer, issues
    if len(marks) == 1 and (answer is None and not _norm_value(value) or answer in marks):
        return marks.pop(), ()
    return None, (Issue(value, f"'{value.strip()}' is niet eenduidig: antwoord met ja, nee of onbekend"),)


def _read_words(value: str) -> tuple[Answer | None, Issues]:
    if value.strip() and not value.strip().strip("?"):
        return Answer.UNKNOWN, ()
    text = _norm_value(value)
    if _is_blank(value) or text.replace(" ", "") in _ANSWER_PLACEHOLDERS:
        return None, ()
    head = _norm_value(_HEAD.split(value.lower() + " ", maxsplit=1)[0])
    for candidate in dict.fromkeys((text, head)):
        found = _answers_near(candidate)
        if len(found) == 1:
            return found.pop(), ()
        if len(found) > 1:
            return None, (Issue(value, f"'{value.strip()}' is niet eenduidig: antwoord met ja, nee of onbekend"),)
    return None, (Issue(value, f"'{value.strip()}' is geen ja of nee"),)


def _answers_near(text: str) -> set[Answer]:
    exact = _ANSWERS.get(text) or _ANSWERS_COLLAPSED.get(_collapse(text))
    return {exact} if exact else closest(text, _ANSWERS, same_initial=True)


def read_contact_form(value: str) -> tuple[ContactForm | None, Issues]:
    """The one contact form named; two forms named (also one in the explanation: ``eerst brief, daarna huisbezoek``),
    or one unknown word (``tel.`` was once read as ``anders``), is an issue. A description of another way (``via de
    wijkagent``) is ``OTHER``."""
    text = _norm_value(value)
    if _is_blank(value) or text in _NONE_WORDS:
        return None, ()
    parts = [part.strip() for part in re.split(r"/|\s of\s", text) if part.strip()]
    if len(parts) >= 3 and all(_FORMS.get(part) for part in parts):
        return None, ()  # the template's list of options, left in
    head = _norm_value(_HEAD.split(value.lower() + " ", maxsplit=1)[0])
    found = {form for form, pattern in _FORM_PATTERNS.items() if pattern.search(head) or pattern.search(text)}
    for word in head.split():
        found |= closest(word, _FORMS) if len(word) >= 5 and word not in _FORMS else set()
    if len(found) > 1:
        return None, (Issue(value, f"'{value.strip()}' noemt meer dan één vorm van contact: kies er één"),)
    if not found and len(text.split()) < 2:
        choices = ", ".join(CONTACT_FORMS.values())
        return None, (Issue(value, f"'{value.strip()}' is geen bekende vorm van contact; kies uit: {choices}"),)
    return (found.pop() if found else ContactForm.OTHER), ()


def read_life_domains(value: str) -> tuple[tuple[str, ...] | None, Issues]:
    """Canonical life domains in ``LIFE_DOMAINS`` order.

    An explanation in parentheses (``huisvesting (huurachterstand)``) is not an item; an unknown item is flagged
    (not doubtful: the known ones are certain, and the caller keeps the words in the note).
    """
    lowered = value.strip().lower()
    if _is_blank(value) or _PLACEHOLDER_EXAMPLE.match(lowered):
        return None, ()
    items = [item for item in (_norm_value(part) for part in _DOMAIN_SPLIT.split(_PARENTHESES.sub(" ", lowered)))
             if item]  # fmt: skip
    found: set[str] = set()
    issues: list[Issue] = []
    if len(items) > _MAX_DOMAIN_ITEMS:
        issues.append(Issue(value, f"meer dan {_MAX_DOMAIN_ITEMS} leefgebieden genoemd; noem alleen de leefgebieden"))
    for item in items[:_MAX_DOMAIN_ITEMS]:
        domains = set() if item in _NONE_WORDS else _domains_of(item)
        found |= domains
        if not domains and item not in _NONE_WORDS:
            message = f"'{item}' is geen bekend leefgebied (bewaard in de toelichting)"
            issues.append(Issue(item, message, doubtful=False))
    return tuple(domain for domain in LIFE_DOMAINS if domain in found), tuple(issues)


def needs_keeping(value: str) -> bool:
    """Whether a life-domain value holds words beyond the domains (an explanation, an unknown item)."""
    return bool(_PARENTHESES.search(value)) or any(not issue.doubtful for issue in read_life_domains(value)[1])


def _domains_of(item: str) -> set[str]:
    if item in _DOMAINS:
        return {_DOMAINS[item]}
    near = closest(item, _DOMAINS)
    if len(near) == 1:
        return near
    return {_DOMAINS[word] for word in item.split() if word in _DOMAINS} if not near else set()


def read_note(value: str) -> tuple[str | None, Issues]:
    """Free text, stripped and cut at ``NOTE_MAX_CHARS``."""
    return (None if _is_blank(value) else value.strip()[:NOTE_MAX_CHARS]), ()


def _collapse(text: str) -> str:
    return _REPEATS.sub(r"\1", text)


def _tolerance(text: str) -> int:
    return 0 if len(text) < 3 or len(text) > 40 else 1 if len(text) <= 8 else 2


def closest(text: str, table: Mapping[str, V], *, same_initial: bool = False) -> set[V]:
    """Every value whose word is within the edit tolerance of ``text``; more than one means ambiguous."""
    limit = _tolerance(text)
    return {
        value
        for word, value in table.items()
        if limit
        and abs(len(word) - len(text)) <= limit
        and (not same_initial or word[:1] == text[:1])
        and _distance(text, word, limit) <= limit
    }


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent swaps, ``acites``), or more than ``limit``.

    Stops as soon as a whole row exceeds ``limit``: the distance can only grow from there.
    """
    before, previous = [0] * (len(b) + 1), list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]
