"""Files and folders that Koers writes hold personal data: they are owner-only from the moment they exist.

Every entry point sets the process umask to 077 (``workers.cli.main``); on top of that, each place
that creates a file or folder asks for its mode explicitly (0600 files, 0700 folders), so that a
library caller with a looser umask gets the same. Nothing is written first and restricted after:
between the two steps another user could open the file and keep the handle.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "PRIVATE_UMASK", "create_private", "private_dir", "write_private"]

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 (``mkdir -p`` applies the mode to the last one only).

    Folders that exist already are left as they are: they may be the operator's (``/srv``, a mount).
    """
    missing: list[Path] = []
    current = Path(path)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it at the same moment
            continue
    return Path(path)


def create_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_EXCL) -> int:
    """Open ``path`` with ``flags``, creating it as 0600; returns the file descriptor."""
    return os.open(path, flags | os.O_CLOEXEC, PRIVATE_FILE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` whole (aside under a hidden name, then renamed), created as 0600."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)  # a leftover of a crash may have another mode: never write into it
    fd = create_private(temporary)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
