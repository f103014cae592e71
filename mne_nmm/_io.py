"""Atomic file writes: the one way the package puts a file on disk.

Every file goes to a uniquely named temporary file in the destination folder, is flushed and
fsynced, and is then renamed over the destination (``os.replace``, atomic on POSIX and on NTFS
within one volume); the folder is fsynced afterwards where the platform allows. A process killed
at any moment therefore leaves either the old file or the complete new one, never a half-written
file, plus at worst a stale ``.<name>.tmp-*`` file that the next write of the same name removes.

Libraries that write by file name (``mne.io.Raw.save``, ``nibabel.save``, ``Figure.savefig``)
use :func:`atomic_path`, which yields a temporary name that keeps the destination's suffixes
(``-raw.fif``, ``.nii.gz``, ``.png``) so each library picks the same format as for the real name.
"""

from __future__ import annotations

import contextlib
import glob
import os
import socket
import time
import uuid

__all__ = ["LockedError", "atomic_path", "atomic_write", "check_manifest", "check_output_file", "check_output_folder",
           "file_lock", "fsync_dir", "write_manifest"]


def fsync_dir(folder):
    """fsync a folder so a rename in it survives a power cut (no-op where unsupported)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


_HOST = socket.gethostname().replace("-", "_").replace(".", "_") or "host"


def _tmp_name(path):
    """``.{name}.tmp-{host}-{pid}-{random}-{name}``: the writer's host and pid tell a stale temporary (its writer
    is dead) from one that another live process is still writing."""
    folder, name = os.path.split(os.path.abspath(path))
    return folder, os.path.join(folder, f".{name}.tmp-{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:12]}-{name}")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:          # e.g. PermissionError: the process exists
        return True
    return True


#: A temporary whose writer cannot be identified (another host, an old name) counts as stale after this long.
STALE_AFTER_S = 3600.0


def _is_stale(tmp, prefix):
    parts = os.path.basename(tmp)[len(prefix):].split("-", 3)
    if len(parts) == 4 and parts[0] == _HOST and parts[1].isdigit():
        return not _pid_alive(int(parts[1]))
    try:
        return time.time() - os.path.getmtime(tmp) > STALE_AFTER_S
    except OSError:
        return False


def _clean_stale(path):
    """Remove the temporaries of ``path`` left by writers that died (kill -9, power cut); never one that a live
    process on this host is still writing (two processes may write the same target at once: the last rename
    wins, each file is whole)."""
    folder, name = os.path.split(os.path.abspath(path))
    prefix = f".{name}.tmp-"
    for stale in glob.glob(os.path.join(glob.escape(folder), glob.escape(prefix) + "*")):
        if _is_stale(stale, prefix):
            with contextlib.suppress(OSError):
                os.remove(stale)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary file name next to ``path``; on success fsync it and rename it to ``path``.

    The temporary name ends with the destination's own name, so format detection by suffix
    works. On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = os.fspath(path)
    folder, tmp = _tmp_name(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    _clean_stale(path)
    try:
        yield tmp
        if not os.path.exists(tmp):
            raise RuntimeError(f"writer produced no file at the temporary name for {path!r}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(folder)
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)


@contextlib.contextmanager
def atomic_write(path, mode="wb", **kwargs):
    """Open a temporary file for writing; on success flush, fsync and rename it to ``path``.

    ``mode`` is ``"wb"`` or ``"w"`` (text, ``kwargs`` go to :func:`open`, e.g. ``encoding``).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    if mode == "w":
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path) as tmp:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


MANIFEST_NAME = "MANIFEST.json"


def write_manifest(folder, files, *, extra=None, name=MANIFEST_NAME):
    """Write ``folder/MANIFEST.json`` last, listing each output with its size and SHA-256.

    A multi-file output (a BOLD run's image, labels, TSV, figure, sidecar) is complete exactly
    when its manifest exists and every listed file matches it; :func:`check_manifest` verifies.
    ``files`` are paths (absolute or relative to ``folder``); ``extra`` is a JSON-able dict.
    """
    import hashlib
    import json

    entries = {}
    for f in files:
        full = f if os.path.isabs(f) else os.path.join(folder, f)
        rel = os.path.relpath(full, folder)
        h = hashlib.sha256()
        with open(full, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        entries[rel] = {"bytes": os.path.getsize(full), "sha256": h.hexdigest()}
    doc = {"complete": True, "files": entries}
    if extra:
        doc.update(extra)
    path = os.path.join(folder, name)
    with atomic_write(path, "w") as fh:
        json.dump(doc, fh, indent=2, sort_keys=True)
    return path


def check_manifest(folder, *, name=MANIFEST_NAME, hashes=True):
    """Return the manifest dict of a complete output folder; raise ``ValueError`` naming what is wrong.

    Missing manifest (the run was killed before it finished), a missing file, a size or checksum
    mismatch (the file was changed or half-written) each give a message naming the file.
    """
    import hashlib
    import json

    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise ValueError(f"output folder {folder!r} is incomplete: {name} is missing (the run that wrote it "
                         "did not finish); rerun it or delete the folder")
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        files = doc["files"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"manifest {path!r} is corrupt ({err}); rerun the output or delete the folder") from None
    for rel, meta in files.items():
        full = os.path.join(folder, rel)
        if not os.path.isfile(full):
            raise ValueError(f"output {full!r} listed in {path!r} is missing")
        if os.path.getsize(full) != meta["bytes"]:
            raise ValueError(f"output {full!r} has {os.path.getsize(full)} bytes, the manifest says "
                             f"{meta['bytes']}: it was changed or is incomplete")
        if hashes:
            h = hashlib.sha256()
            with open(full, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            if h.hexdigest() != meta["sha256"]:
                raise ValueError(f"output {full!r} does not match its checksum in {path!r}: it was changed "
                                 "or is corrupt")
    return doc


class LockedError(RuntimeError):
    """Raised by :func:`file_lock` when another process (or another open in this one) holds the lock."""


def _holder(lock_path):
    try:
        with open(lock_path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return ""


@contextlib.contextmanager
def file_lock(lock_path, *, what=None):
    """Hold an exclusive advisory lock (``fcntl.flock``) on ``lock_path`` for the ``with`` block.

    The lock file is created if needed, records the holder's pid and host, and is removed when
    the block ends (by the holder, while it still holds the lock; an acquirer checks that the
    file it locked is still the one at ``lock_path``, so removal never lets two holders in).
    A lock held elsewhere raises :class:`LockedError` at once (no waiting), naming ``what``
    (default: the lock file) and the holder. A process killed while holding the lock releases it
    (the kernel drops flock locks with the process); the stale file is reused by the next run.
    Where ``fcntl`` does not exist (Windows) the block runs without a lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield lock_path
        return
    import socket

    lock_path = os.fspath(lock_path)
    what = what or f"lock file {lock_path!r}"
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _holder(lock_path)
            raise LockedError(f"{what} is in use by another run ({holder or 'unknown process'}; lock "
                              f"{lock_path!r}); wait for it to finish or use another path.") from None
        except OSError:  # pragma: no cover - file systems without flock
            os.close(fd)
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)          # the previous holder removed the file between our open and our lock: retry
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        yield lock_path
    finally:
        with contextlib.suppress(OSError):
            os.remove(lock_path)
        os.close(fd)


def check_output_folder(folder, name, *, create=True):
    """Create ``folder`` if needed and check that it is a writable folder; errors name ``name``.

    Parameters
    ----------
    folder : path-like
        The output folder.
    name : str
        The argument or flag to name in errors (``"out_dir"``, ``"--out"``).
    create : bool
        Create the folder (and its parents) when it does not exist.

    Returns
    -------
    folder : str
        The folder, as given (``os.fspath``).
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(folder).__name__}.")
    folder = os.fspath(folder)
    if folder == "":
        raise ValueError(f"{name} must be a folder path, got an empty string.")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(f"{name} {folder!r} is a file, not a folder; pass a folder path.")
    if not os.path.isdir(folder):
        if not create:
            raise FileNotFoundError(f"{name} {folder!r} does not exist.")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as err:
            raise OSError(f"{name} {folder!r} cannot be created: {err.strerror or err}.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{name} {folder!r} is not writable.")
    return folder


def check_output_file(path, name):
    """Check that ``path`` can be written as a file: its folder exists and is writable, it is not a folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(path).__name__}.")
    path = os.fspath(path)
    if path == "":
        raise ValueError(f"{name} must be a file path, got an empty string.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{name} {path!r} is a folder; pass a file path.")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(f"{name} {path!r}: {folder!r} is a file, not a folder.")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{name} {path!r}: folder {folder!r} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{name} {path!r}: folder {folder!r} is not writable.")
    return path
