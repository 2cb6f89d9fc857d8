"""``python -m workers.cli`` = ``koers`` (used by tests that start processes)."""

from workers.cli import main

main()
