"""Where reports go: never over an input, and an output folder written as a set.

* :func:`refuse_overwrite` (before anything is read): an output that is an
  input file, a configuration file (key, parameters, waivers, rules), or that
  lies inside an input folder (it would be read back as records the next
  night) is a UsageError (exit 2). Writing over the ``--baseline`` is allowed:
  replacing last night's report with tonight's is the usual rotation.
* :func:`write_set`: every file is first written in full to a temporary file
  beside its target; only when all are written are they renamed into place,
  one after another with SIGTERM, SIGINT and SIGHUP held back, so a reader
  sees tonight's set or last night's, and a stop before the swap changes
  nothing. Temporary files are removed on every exit Python sees; those left
  by a process killed outright (SIGKILL, power loss) are removed by the next
  run writing to the same folder.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any, Iterable, Mapping

from .atomic import TEMP_PATTERN, fsync_dir, remove_stale_temps, write_temp
from .errors import UsageError

_HELD = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def refuse_overwrite(outputs: Mapping[str, Iterable[str | os.PathLike[str]]],
                     inputs: Iterable[str | os.PathLike[str]],
                     protected: Mapping[str, str | os.PathLike[str] | None] = {}) -> None:
    """Raise UsageError when an output would replace or be read back as an input.

    ``outputs``: option name -> the files it writes. ``inputs``: input files and folders.
    ``protected``: option name -> a file (or folder) that must not be written over."""
    input_files, input_dirs = [], []
    for given in inputs:
        (input_dirs if Path(given).is_dir() else input_files).append((os.fspath(given), _real(given)))
    guarded = [(name, os.fspath(p), _real(p), Path(p).is_dir()) for name, p in protected.items() if p]
    for option, files in outputs.items():
        for out in files:
            real = _real(out)
            for shown, inp in input_files:
                if real == inp or (os.path.exists(out) and os.path.exists(shown) and os.path.samefile(out, shown)):
                    raise UsageError(f"{option} would replace the input file {shown}: choose another path")
            for shown, folder in input_dirs:
                if _inside(real, folder):
                    raise UsageError(f"{option} is inside the input folder {shown}: its reports would be read "
                                     "back as records; choose a path outside the inputs")
            for name, shown, target, is_dir in guarded:
                if (is_dir and _inside(real, target)) or real == target:
                    raise UsageError(f"{option} would replace the {name} {shown}: choose another path")


def write_set(directory: str | os.PathLike[str], files: Mapping[str, Any]) -> list[str]:
    """Write ``files`` (name -> content: text, bytes, chunks, or a callable giving one of them) into
    ``directory`` as one set (see the module docstring)."""
    folder = Path(directory)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(folder)
    temps: dict[str, str] = {}
    swapped = False
    try:
        for name, content in files.items():  # (a callable is rendered only now: one report in memory at a time)
            temps[name] = write_temp(folder / name, content() if callable(content) else content)
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            for name in list(temps):
                os.replace(temps.pop(name), folder / name)
            fsync_dir(folder)
            swapped = True
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    finally:
        for tmp in temps.values():
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if created and not swapped:  # a failure (a report that could not be rendered) leaves no new folder
            try:
                folder.rmdir()
            except OSError:
                pass
    return [str(folder / name) for name in files]


__all__ = ["refuse_overwrite", "write_set", "TEMP_PATTERN"]
