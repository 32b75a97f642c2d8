"""Writing output files: checked before any work, written atomically, all or nothing.

:func:`check_writable` says in one line why an output cannot be written (no such
folder, a folder you cannot write, a directory in the way, a read-only file)
before any work is done; :func:`write_atomic` writes through a temporary file and
a rename, so a failure never leaves a half-written file, and an existing file
keeps its permissions.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import UsageError


def check_writable(path) -> Path:
    """``path`` as a :class:`Path` if a file can be written there; else a one-line error."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{path}: the folder {parent} does not exist")
    try:                                   # the real test (os.access says yes to root)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise UsageError(f"{path}: cannot write into the folder {parent}: "
                         f"{e.strerror or e}") from None
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{path}: the file is read-only (not replaced)")
    return path


def write_atomic(path, data) -> Path:
    """Write ``data`` (str or bytes) to ``path`` via a temporary file and a rename."""
    path = check_writable(path)
    parent = path.parent if str(path.parent) else Path(".")
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        keep = os.stat(path).st_mode & 0o7777            # an existing file keeps its mode
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        keep = 0o666 & ~umask                             # mkstemp's file is private; ours is not
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror}") from None
    try:
        os.chmod(tmp, keep)
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None
        raise
    return path
