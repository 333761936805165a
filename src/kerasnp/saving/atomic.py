"""Write a file so that readers only ever see the old or the new complete file.

The bytes go to a temporary file in the same directory (so the final rename
stays on one file system), are flushed and fsync'ed, and the temporary file
is then renamed over the target with `os.replace`, which is atomic on POSIX
and Windows. If anything fails before the rename (an exception, Ctrl-C, a
full disk), the temporary file is removed and the old file is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO


def _default_mode() -> int:
    """The permissions a new file gets from `open()` (0o666 minus the umask)."""
    try:  # Linux reports the umask without changing it (no race with other threads)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    try:
        umask = os.umask(0)
        os.umask(umask)
    except (AttributeError, OSError):  # pragma: no cover - platforms without umask
        return 0o644
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """Open a binary file that replaces `path` only when the block succeeds
    (an error in the block removes it; `suffix` ends its temporary name).

    Example:
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.bin")
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"complete")
    >>> open(target, "rb").read()
    b'complete'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else _default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    if os.name != "posix":  # pragma: no cover
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
