"""Content-addressed, write-once storage for evidence bytes.

Objects are named by the SHA-256 of their bytes (lower-case hex).  The name
*is* the integrity check: whoever reads ``ab/cd/abcd…`` can recompute the hash
and prove the bytes are the ones that were received.  Identical bytes are
stored once.  Objects are never modified in place; ``delete`` exists for
derivatives, aborted uploads and retention jobs, not for editing evidence.

Two namespaces share one storage root: ``originals`` (evidence, byte-exact)
and ``derivatives`` (display copies that can be regenerated), so that a
clean-up of derivatives can never touch an original even when the bytes
happen to coincide.  ``storage.namespace("derivatives")`` gives the sibling.

What another backend (e.g. an S3-compatible object store) must implement
-----------------------------------------------------------------------
- ``put_stream``: stream the body in chunks (multipart upload for large
  objects) to a temporary key while hashing it locally; compare the digest
  with ``expected_sha256``; on mismatch abort the multipart upload / delete
  the temporary key and raise ``StorageError("checksum_mismatch")``;
  otherwise copy it to ``<namespace>/<ab>/<cd>/<sha256>`` with a
  conditional write (``If-None-Match: *``) so an existing object is never
  replaced, and delete the temporary key.  Sending ``x-amz-checksum-sha256``
  lets the store verify the transfer too.
- ``open`` returns a readable binary stream (the GET body);
  ``exists``/``size`` use HEAD; ``delete`` uses DELETE; ``iter_keys`` lists
  the namespace prefix (ListObjectsV2, paginated).
- ``local_path`` returns ``None``: the web layer then serves bytes through
  ``open`` (or a pre-signed URL) instead of a file path with Range support.
- ``put_file(move=True)`` cannot rename across systems: it uploads and then
  deletes the local file, as the base class does.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import stat
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from media.errors import StorageError

CHUNK_SIZE = 1 << 20  # 1 MiB: big enough for throughput, small enough for bounded memory
ORIGINALS = "originals"
DERIVATIVES = "derivatives"

_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
_NAMESPACE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TEMP_PREFIX = "put-"


@dataclass(frozen=True)
class StoredObject:
    """What a put stored: the object's key (``sha256``), its ``size`` in bytes,
    and whether this call ``created`` it (False: the bytes were already there)."""

    sha256: str
    size: int
    created: bool = True


def normalize_key(sha256: str) -> str:
    """Return ``sha256`` as lower-case hex, or raise ``StorageError("invalid_key")``.

    Keys become file paths, so anything but 64 hex digits is refused here
    (no path traversal through a crafted key).
    """
    if isinstance(sha256, str):
        key = sha256.strip().lower()
        if _KEY_RE.match(key):
            return key
    raise StorageError("invalid_key", key=repr(sha256)[:80])


def _storage_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


class Storage(ABC):
    """Interface of a content-addressed, write-once byte store (one namespace)."""

    @abstractmethod
    def put_stream(self, fileobj: BinaryIO, expected_sha256: str | None = None) -> StoredObject:
        """Store everything readable from ``fileobj`` (read in chunks, never whole).

        If ``expected_sha256`` is given and the bytes hash differently, raise
        ``StorageError("checksum_mismatch")`` and keep nothing.
        """

    def put_bytes(self, data: bytes, expected_sha256: str | None = None) -> StoredObject:
        """Store ``data`` (small objects such as derivatives); see ``put_stream``."""
        return self.put_stream(io.BytesIO(data), expected_sha256)

    def put_file(
        self, path: str | os.PathLike, expected_sha256: str | None = None, *, move: bool = False
    ) -> StoredObject:
        """Store the file at ``path``; with ``move=True`` the file is consumed.

        This generic version copies and, when ``move`` is set, deletes the
        source after a successful put; on a checksum mismatch the source is
        left where it was.  Backends on a local filesystem override it with a
        rename.
        """
        with open(path, "rb") as src:
            stored = self.put_stream(src, expected_sha256)
        if move:
            os.unlink(path)
        return stored

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """Open the object for binary reading; ``StorageError("not_found")`` if absent."""

    @abstractmethod
    def exists(self, sha256: str) -> bool:
        """Whether the object is stored."""

    @abstractmethod
    def size(self, sha256: str) -> int:
        """Size in bytes; ``StorageError("not_found")`` if absent."""

    def local_path(self, sha256: str) -> str | None:
        """A local file path for the object (lets the web layer serve Range
        requests with ``send_file``), or ``None`` for remote backends."""
        return None

    @abstractmethod
    def delete(self, sha256: str) -> bool:
        """Remove the object; True if it existed.  Never used to *edit* evidence."""

    @abstractmethod
    def iter_keys(self) -> Iterator[str]:
        """Every stored key in this namespace (order unspecified)."""

    @abstractmethod
    def namespace(self, name: str) -> "Storage":
        """The sibling store for namespace ``name`` on the same backend."""

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes and compare with the key (integrity audit)."""
        key = normalize_key(sha256)
        digest = hashlib.sha256()
        with self.open(key) as f:
            while chunk := f.read(CHUNK_SIZE):
                digest.update(chunk)
        return digest.hexdigest() == key


class FilesystemStorage(Storage):
    """Objects under ``<root>/<namespace>/<ab>/<cd>/<sha256>``, read-only files.

    Writes go to ``<root>/.tmp/`` (same filesystem), are fsynced, then
    hard-linked into place (a link never replaces an existing object, so a
    stored original is write-once), and the directory is fsynced: after a
    crash an object is either complete or absent.  ``temp_dir`` is public so
    that an upload server can stage partial uploads there and hand them over
    with ``put_file(path, move=True)`` for the price of a rename.
    """

    def __init__(self, root: str | os.PathLike, namespace: str = ORIGINALS, *, fsync: bool = True) -> None:
        if not _NAMESPACE_RE.match(namespace):
            raise ValueError(f"invalid namespace {namespace!r}")
        self.root = Path(root)
        self.name = namespace
        self.base = self.root / namespace
        self.temp_dir = self.root / ".tmp"
        # fsync=False is only for throwaway stores (tests, benchmarks): without
        # it a power cut can leave an empty file under a valid name.
        self.fsync = fsync
        self.base.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FilesystemStorage({str(self.root)!r}, {self.name!r})"

    # -- paths ---------------------------------------------------------------

    def path_for(self, sha256: str) -> Path:
        """Where the object lives (whether or not it exists)."""
        key = normalize_key(sha256)
        return self.base / key[:2] / key[2:4] / key

    def namespace(self, name: str) -> "FilesystemStorage":
        return FilesystemStorage(self.root, name, fsync=self.fsync)

    # -- writing -------------------------------------------------------------

    def put_stream(self, fileobj: BinaryIO, expected_sha256: str | None = None) -> StoredObject:
        expected = normalize_key(expected_sha256) if expected_sha256 is not None else None
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self.temp_dir)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = fileobj.read(CHUNK_SIZE)
                    if not chunk:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            return self._commit(tmp, digest.hexdigest(), size, expected)
        except OSError as exc:
            if _storage_full(exc):
                raise StorageError("storage_full") from exc
            raise
        finally:
            _unlink_quietly(tmp)

    def put_file(
        self, path: str | os.PathLike, expected_sha256: str | None = None, *, move: bool = False
    ) -> StoredObject:
        """Store the file at ``path``.

        With ``move=True`` and ``path`` on the storage's filesystem the file is
        renamed into the temporary area first (so nobody else can change it
        while it is hashed), hashed, fsynced and linked into place: no copy.
        On any failure (e.g. a checksum mismatch) it is renamed back to
        ``path`` and nothing is kept.  Otherwise the bytes are copied as by
        ``put_stream``.
        """
        expected = normalize_key(expected_sha256) if expected_sha256 is not None else None
        source = os.stat(path)
        if not move or source.st_dev != os.stat(self.temp_dir).st_dev:
            return super().put_file(path, expected, move=move)
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self.temp_dir)
        os.close(fd)
        os.replace(path, tmp)
        try:
            digest = hashlib.sha256()
            size = 0
            with open(tmp, "rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                if self.fsync:
                    os.fsync(f.fileno())
            return self._commit(tmp, digest.hexdigest(), size, expected)
        except BaseException as exc:
            # Nothing was stored: give the caller's file back untouched.
            try:
                os.chmod(tmp, stat.S_IMODE(source.st_mode))
                os.replace(tmp, path)
            except OSError:
                pass
            if isinstance(exc, OSError) and _storage_full(exc):
                raise StorageError("storage_full") from exc
            raise
        finally:
            _unlink_quietly(tmp)

    def _commit(self, tmp: str, sha256: str, size: int, expected: str | None) -> StoredObject:
        """Link the fully written, fsynced temp file into place (caller unlinks tmp)."""
        if expected is not None and sha256 != expected:
            raise StorageError("checksum_mismatch", expected=expected, actual=sha256, size=size)
        final = self.path_for(sha256)
        if final.exists():
            return StoredObject(sha256, size, created=False)
        self._make_dirs(final.parent)
        os.chmod(tmp, 0o440)  # evidence is read-only on disk as well (owner and group)
        try:
            os.link(tmp, final)
            created = True
        except FileExistsError:  # a concurrent put of the same bytes won
            created = False
        except OSError as exc:
            if _storage_full(exc):
                raise
            # Filesystems without hard links: rename instead.  Same bytes, same
            # name, so the rare race with a concurrent writer is harmless.
            os.replace(tmp, final)
            created = True
        if created:
            self._sync_dir(final.parent)
        return StoredObject(sha256, size, created=created)

    def _make_dirs(self, directory: Path) -> None:
        missing = []
        probe = directory
        while not probe.exists() and probe != self.base:
            missing.append(probe)
            probe = probe.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            self._sync_dir(d.parent)  # make the new directory entry durable

    def _sync_dir(self, directory: Path) -> None:
        if not self.fsync:
            return
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- reading -------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path_for(sha256), "rb")
        except FileNotFoundError:
            raise StorageError("not_found", sha256=sha256) from None

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            raise StorageError("not_found", sha256=sha256) from None

    def local_path(self, sha256: str) -> str:
        path = self.path_for(sha256)
        if not path.is_file():
            raise StorageError("not_found", sha256=sha256)
        return str(path)

    def delete(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        self._sync_dir(path.parent)
        return True

    def iter_keys(self) -> Iterator[str]:
        for first in _sorted_dirs(self.base):
            for second in _sorted_dirs(first):
                prefix = first.name + second.name
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    if entry.is_file() and _KEY_RE.match(entry.name) and entry.name.startswith(prefix):
                        yield entry.name

    # -- housekeeping --------------------------------------------------------

    def purge_temp(self, older_than: float = 24 * 3600) -> int:
        """Delete temp files left by crashed writers; returns how many went.

        Only files older than ``older_than`` seconds are touched so that puts
        still in progress (and uploads staged by the tus server) survive.
        """
        cutoff = time.time() - older_than
        removed = 0
        for entry in os.scandir(self.temp_dir):
            if entry.is_file() and entry.name.startswith(_TEMP_PREFIX) and entry.stat().st_mtime < cutoff:
                _unlink_quietly(entry.path)
                removed += 1
        return removed


def _sorted_dirs(directory: Path) -> list[Path]:
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    return [Path(e.path) for e in sorted(entries, key=lambda e: e.name)
            if e.is_dir() and len(e.name) == 2 and all(c in "0123456789abcdef" for c in e.name)]


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
