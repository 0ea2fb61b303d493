"""Personal data private on disk: the data folder (`var/`) and nbgrader's course root
(`grading/`) readable by the course's own user only.

`make_private` sets the process umask to 077 (so every file the course, SQLite, nbgrader or
nbconvert creates from now on is 0600 and every folder 0700: records.db and its -wal/-shm,
gradebook.db, submitted responses.json, autograded notebooks, feedback html) and brings what
exists already to 0700/0600. Files copied with their mode (shutil.copy2: nbgrader's collect
and autograde copy that way) are caught by `private_tree` after each grade.

nbgrader's exchange is excepted: learners on a shared machine release and submit through it
as their own users, so it must stay as nbgrader makes it. No personal data stays there
for long: `nbgrader collect` copies submissions into `grading/submitted/`, which is private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
EXCEPTED = frozenset({"exchange"})  # top-level folders of a tree that stay shared


def private_tree(top: Path, skip: frozenset[str] = EXCEPTED) -> None:
    """`top` and everything under it 0700 (folders) / 0600 (files), except folders named in `skip`
    directly under `top`. Symlinks are not followed; files owned by someone else are left alone."""
    top = Path(top)
    if not top.exists() or top.is_symlink():
        return
    _chmod(top, 0o700)
    for folder, dirs, files in os.walk(top):
        if Path(folder) == top:
            dirs[:] = [d for d in dirs if d not in skip]
        for name in dirs:
            _chmod(Path(folder) / name, 0o700)
        for name in files:
            _chmod(Path(folder) / name, 0o600)


def make_private(*folders: Path) -> None:
    """Umask 077 for this process and its children, then `private_tree` on each folder."""
    os.umask(PRIVATE_UMASK)
    for folder in folders:
        private_tree(Path(folder))


def _chmod(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            return
        if stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:  # removed meanwhile (a swapped-in submission): nothing to protect
        return


def rsa_key_file(path: Path, bits: int) -> bytes:
    """The PEM of the RSA private key kept at `path` (0600), made once if there is none: under a
    lock, so two processes starting together agree on one key. The course's signing keys (the LTI
    tool's, the organisation's badge key) are each one such file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from course.atomic import locked, write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        if not path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            write_atomic(
                path,
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
            )
        os.chmod(path, 0o600)
        return path.read_bytes()
