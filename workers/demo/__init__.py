"""The demo's own parts: the synthetic intake feed and the simulated municipal staff.

``koers demo`` is a product command, so they ship with Koers; they live together here, apart
from the runtime, because nothing but the demo (and the tests and benchmarks, which feed Koers the
same synthetic records) uses them. Faker, for the synthetic names, is needed only here: it is the
``demo`` extra. ``workers.cli.demo`` imports these modules when the command runs, so that every
other command works without Faker.
"""

from __future__ import annotations

MISSING_EXTRA = "koers demo heeft Faker nodig; installeer de demo-onderdelen met: pip install 'koers[demo]'"


def has_faker() -> bool:
    """Whether the ``demo`` extra (Faker) is installed."""
    try:
        import faker  # noqa: F401  (only whether it imports)
    except ImportError:
        return False
    return True
