"""The local data-set cache: where it is, checksums, and verified downloads.

The cache is ``~/.kerasnp/datasets/<name>``, or ``$KERASNP_HOME/datasets/<name>``
when the environment variable ``KERASNP_HOME`` is set (as ``KERAS_HOME`` moves
``~/.keras``). A download is written to a temporary file beside its target and
renamed into place only after its sha256 checks out, so the cache never holds
half a file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from .._errors import KerasnpError

_CHUNK = 1 << 20
# (real path, size, mtime) -> sha256, so an unchanged file is hashed once per process.
_HASHES: dict[tuple[str, int, int], str] = {}


def home() -> Path:
    """kerasnp's data directory: ``$KERASNP_HOME``, or ``~/.kerasnp``."""
    env = os.environ.get("KERASNP_HOME")
    return Path(env).expanduser() if env else Path.home() / ".kerasnp"


def cache_dir(name: str) -> Path:
    """The cache directory of the data set `name` (not created here)."""
    return home() / "datasets" / name


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file, computed once per process while the file is unchanged."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def urlopen(url: str, timeout: float) -> Any:  # a module global, so tests can replace it
    """`urllib.request.urlopen`, imported on first use: urllib, http and ssl
    cost `import kerasnp` tens of milliseconds that only a download needs."""
    from urllib.request import urlopen as open_url

    return open_url(url, timeout=timeout)


def download(url: str, dest: Path, accepted: Collection[str], *, timeout: float = 30.0) -> Path:
    """Fetch `url` into `dest`, keeping it only if its sha256 is in `accepted`.

    Raises:
        KerasnpError: The download failed, or its checksum is not accepted
            (nothing is left behind in either case).
    """
    import http.client

    from ..saving.atomic import atomic_write

    print(f"Downloading data from {url}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        # a failed download or checksum leaves nothing behind (atomic_write removes it)
        with atomic_write(dest, suffix=".part") as out, urlopen(url, timeout=timeout) as response:
            digest = hashlib.sha256()
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            got = digest.hexdigest()
            if got not in accepted:
                raise KerasnpError(
                    f"{url} gave a file whose sha256 is {got}, not the known "
                    f"{' or '.join(sorted(accepted))}: the download is damaged or the file "
                    "has changed; it was discarded."
                )
        return dest
    except KerasnpError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise KerasnpError(f"could not download {url} into {os.fspath(dest)!r}: {exc}") from None


def download_first(urls: Sequence[str], dest: Path, accepted: Collection[str]) -> Path:
    """Try each mirror in `urls` in turn; raise with every mirror's failure if none works."""
    failures = []
    for url in urls:
        try:
            return download(url, dest, accepted)
        except KerasnpError as exc:
            failures.append(str(exc))
    raise KerasnpError("\n".join(failures))
