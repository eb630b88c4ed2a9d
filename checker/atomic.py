"""Writing output files atomically: a reader sees the old file or the new one, never half of one.

A temporary file is named ``.<target name>.<pid>.<random>.tmp`` beside its
target. It is removed on any exit Python sees (an exception, SIGTERM turned
into one by the CLI); one left by a process that was killed outright is
removed by the next write into the same folder (its process no longer runs).
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

TEMP_PATTERN = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.tmp")


def write_temp(target: Path, data: str | bytes | Iterable[str | bytes]) -> str:
    """Write ``data`` (text, bytes, or chunks of either, written as they come) in full to a new temporary file
    beside ``target``; its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in ((data,) if isinstance(data, (str, bytes)) else data):
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files of ours whose process no longer runs (a run killed outright)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = TEMP_PATTERN.fullmatch(name)
        if not match or _alive(int(match["pid"])):
            continue
        try:
            os.unlink(folder / name)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def write_atomic(path: str | os.PathLike[str], data: str | bytes | Iterable[str | bytes]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target.parent)
    tmp = write_temp(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _unlink_quietly(path: str) -> None:
    """Remove a temporary file we made; one that is already gone is fine."""
    try:
        os.unlink(path)
    except OSError:
        pass
