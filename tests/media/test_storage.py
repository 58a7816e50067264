"""FilesystemStorage: content addressing, atomic write-once puts, dedupe, streaming."""
from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
import time
import tracemalloc

import pytest

from media.errors import StorageError
from media.storage import CHUNK_SIZE, FilesystemStorage, Storage, StoredObject, normalize_key


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path) -> FilesystemStorage:
    return FilesystemStorage(tmp_path / "media")


def temp_files(store: FilesystemStorage) -> list[str]:
    return os.listdir(store.temp_dir)


class GeneratedStream(io.RawIOBase):
    """``total`` bytes of deterministic, incompressible-looking data, made on the fly."""

    def __init__(self, total: int, fail_after: int | None = None) -> None:
        self.total = total
        self.sent = 0
        self.fail_after = fail_after
        self.block = hashlib.sha256(b"seed").digest() * (CHUNK_SIZE // 32)
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise ConnectionError("client went away")
        n = min(CHUNK_SIZE if n is None or n < 0 else n, self.total - self.sent)
        if n <= 0:
            return b""
        counter = self.sent.to_bytes(8, "big")  # every chunk differs
        chunk = counter + self.block[: n - 8] if n > 8 else self.block[:n]
        self.sent += n
        self.digest.update(chunk)
        return chunk


def test_put_bytes_is_content_addressed_with_fan_out(store):
    data = b"evidence photo bytes"
    stored = store.put_bytes(data)
    assert stored == StoredObject(sha(data), len(data), created=True)
    path = store.root / "originals" / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256
    assert path.read_bytes() == data
    assert store.local_path(stored.sha256) == str(path)
    # objects are read-only on disk: evidence is not edited in place
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert store.exists(stored.sha256) and store.size(stored.sha256) == len(data)
    with store.open(stored.sha256.upper()) as f:  # keys are case-insensitive hex
        assert f.read() == data
    assert list(store.iter_keys()) == [stored.sha256]
    assert store.verify(stored.sha256)
    assert temp_files(store) == []


def test_identical_bytes_are_stored_once(store):
    first = store.put_bytes(b"same")
    second = store.put_stream(io.BytesIO(b"same"))
    assert first.sha256 == second.sha256
    assert first.created and not second.created
    assert list(store.iter_keys()) == [first.sha256]
    assert temp_files(store) == []


def test_expected_hash_is_verified(store):
    data = b"x" * 10_000
    assert store.put_bytes(data, expected_sha256=sha(data).upper()).sha256 == sha(data)


def test_checksum_mismatch_keeps_nothing(store):
    with pytest.raises(StorageError) as info:
        store.put_stream(io.BytesIO(b"tampered"), expected_sha256=sha(b"original"))
    err = info.value
    assert err.code == "checksum_mismatch" and err.status == 422
    assert err.details["actual"] == sha(b"tampered")
    assert "SHA-256" in err.message
    assert list(store.iter_keys()) == []
    assert temp_files(store) == []
    assert not store.exists(sha(b"tampered"))


def test_failed_stream_keeps_nothing(store):
    stream = GeneratedStream(10 * CHUNK_SIZE, fail_after=3 * CHUNK_SIZE)
    with pytest.raises(ConnectionError):
        store.put_stream(stream)
    assert list(store.iter_keys()) == []
    assert temp_files(store) == []


def test_put_file_copy_and_move(store, tmp_path):
    source = tmp_path / "upload.bin"
    source.write_bytes(b"copied")
    copied = store.put_file(source)
    assert source.exists()
    with store.open(copied.sha256) as f:
        assert f.read() == b"copied"

    staged = store.temp_dir.parent / "staged.bin"  # same filesystem as the store
    staged.write_bytes(b"moved, not copied")
    inode = staged.stat().st_ino
    moved = store.put_file(staged, expected_sha256=sha(b"moved, not copied"), move=True)
    assert not staged.exists()
    assert os.stat(store.local_path(moved.sha256)).st_ino == inode  # renamed/linked: no copy
    assert temp_files(store) == []


def test_put_file_move_mismatch_gives_the_file_back(store):
    staged = store.temp_dir.parent / "staged.bin"
    staged.write_bytes(b"not what the phone hashed")
    with pytest.raises(StorageError) as info:
        store.put_file(staged, expected_sha256=sha(b"what the phone hashed"), move=True)
    assert info.value.code == "checksum_mismatch"
    assert staged.read_bytes() == b"not what the phone hashed"
    assert list(store.iter_keys()) == []
    assert temp_files(store) == []


def test_move_of_existing_object_dedupes(store):
    store.put_bytes(b"dup")
    staged = store.temp_dir.parent / "again.bin"
    staged.write_bytes(b"dup")
    again = store.put_file(staged, move=True)
    assert not again.created and not staged.exists()
    assert list(store.iter_keys()) == [sha(b"dup")]


@pytest.mark.parametrize("key", ["../../etc/passwd", "abc", "g" * 64, "a" * 63, "a" * 65, None, 42])
def test_invalid_keys_are_refused(store, key):
    with pytest.raises(StorageError) as info:
        store.open(key)
    assert info.value.code == "invalid_key" and info.value.status == 400
    if key is not None:  # None as expected_sha256 means "no claim"
        with pytest.raises(StorageError):
            store.put_bytes(b"x", expected_sha256=key)


def test_missing_objects(store):
    key = sha(b"never stored")
    assert not store.exists(key)
    for call in (store.open, store.size, store.local_path):
        with pytest.raises(StorageError) as info:
            call(key)
        assert info.value.code == "not_found" and info.value.status == 404
    assert store.delete(key) is False


def test_delete(store):
    stored = store.put_bytes(b"derivative")
    assert store.delete(stored.sha256) is True
    assert not store.exists(stored.sha256)
    assert list(store.iter_keys()) == []


def test_namespaces_are_separate(store):
    derivatives = store.namespace("derivatives")
    original = store.put_bytes(b"identical bytes")
    copy = derivatives.put_bytes(b"identical bytes")
    assert original.sha256 == copy.sha256 and copy.created
    derivatives.delete(copy.sha256)
    assert store.exists(original.sha256)  # cleaning derivatives never touches originals
    with pytest.raises(ValueError):
        store.namespace("../originals")


def test_iter_keys_lists_everything_and_ignores_strays(store):
    keys = {store.put_bytes(str(i).encode()).sha256 for i in range(50)}
    (store.base / "README").write_text("not an object")
    (store.base / "zz").mkdir()
    assert set(store.iter_keys()) == keys


def test_concurrent_puts_of_the_same_bytes(store):
    data = os.urandom(3 * CHUNK_SIZE + 17)
    results, errors = [], []

    def put():
        try:
            results.append(store.put_bytes(data))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {r.sha256 for r in results} == {sha(data)}
    assert sum(r.created for r in results) == 1
    assert store.verify(sha(data))
    assert temp_files(store) == []


def test_purge_temp_removes_only_old_leftovers(store):
    old = store.temp_dir / "put-crashed"
    old.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    fresh = store.temp_dir / "put-in-progress"
    fresh.write_bytes(b"partial")
    assert store.purge_temp(older_than=3600) == 1
    assert temp_files(store) == ["put-in-progress"]


def test_interface_is_abstract():
    with pytest.raises(TypeError):
        Storage()  # type: ignore[abstract]
    assert normalize_key(" " + "AB" * 32 + "\n") == "ab" * 32


@pytest.mark.timeout(120)
def test_streaming_200_mb_uses_bounded_memory(store):
    total = 200 * 1024 * 1024
    stream = GeneratedStream(total)
    tracemalloc.start()
    try:
        stored = store.put_stream(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == total
    assert stored.sha256 == stream.digest.hexdigest()
    assert peak < 8 * CHUNK_SIZE, f"peak {peak / 2**20:.1f} MiB for a {total / 2**20:.0f} MiB stream"
    assert store.size(stored.sha256) == total
    assert temp_files(store) == []
