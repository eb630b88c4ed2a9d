"""What a report keeps of each response it checked, in bounded memory (issue 13).

A check streams its records (read, validate, check, let go) and keeps only each response's
result: its findings and timeline. Those are about 25 KB of Python objects for a heavy
response, so a region's 10,000 responses would hold a quarter of a gigabyte, and the memory
a night needs would grow with the export. :class:`KeptResults` keeps the first
``SPOOL_AFTER`` results as objects; beyond that it keeps every result as a compressed
record in an anonymous temporary file, and only a few bytes per response in memory.

The temporary file holds what the reports hold (rule ids, statuses, codes, pointers and
pseudonymous child ids; never a name or free text, which no finding carries). It is created
with :func:`tempfile.TemporaryFile`: readable only by this user and unlinked at once, so it
is gone when the process ends, however it ends (SIGKILL included), and no other process can
open it.

Readers (the summary model, every writer) iterate a ``KeptResults`` as they would a list,
as often as they like; each pass reads the file again. The steps that change findings after
the check (waivers, baseline, pseudonymisation) go through :func:`editing`, which writes each
changed result back: a result read by plain iteration is a copy.
"""
from __future__ import annotations

import marshal
import tempfile
import zlib
from dataclasses import fields
from functools import cache
from typing import Any, Callable, Iterable, Iterator

SPOOL_AFTER = 1000  # results held as objects; beyond that every result is spooled (about 25 KB each as objects)


@cache
def _codec():
    from .api import ResponseResult
    from .findings import Finding

    result_names = [f.name for f in fields(ResponseResult)]
    return ResponseResult, result_names, result_names.index("findings"), Finding, [f.name for f in fields(Finding)]


class KeptResults:
    """A list-like sequence of ``ResponseResult``: append, len, iterate (again and again), index, sort."""

    def __init__(self, results: Iterable[Any] = (), spool_after: int | None = None) -> None:
        self.spool_after = SPOOL_AFTER if spool_after is None else spool_after
        self._objects: list[Any] = []
        self._file = None
        self._index: list[tuple[int, int]] = []  # spooled: (offset, length) of each result, in order
        self._end = 0
        for result in results:
            self.append(result)

    # -- reading ---------------------------------------------------------------------------------------------
    @property
    def spooled(self) -> bool:
        return self._file is not None

    def __len__(self) -> int:
        return len(self._index) if self._file is not None else len(self._objects)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Any]:
        if self._file is None:
            return iter(list(self._objects))
        return (self._load(entry) for entry in list(self._index))

    def __getitem__(self, i: int | slice) -> Any:
        if self._file is None:
            return self._objects[i]
        if isinstance(i, slice):
            return [self._load(entry) for entry in self._index[i]]
        return self._load(self._index[i])

    def __repr__(self) -> str:
        return f"KeptResults({len(self)} results{', spooled' if self.spooled else ''})"

    # -- changing ----------------------------------------------------------------------------------------------
    def append(self, result: Any) -> None:
        if self._file is not None:
            self._index.append(self._store(result))
            return
        self._objects.append(result)
        if len(self._objects) > self.spool_after:
            self._file = tempfile.TemporaryFile(prefix="shg-check-results-")
            self._index = [self._store(r) for r in self._objects]
            self._objects = []

    def sort(self, key: Callable[[Any], Any]) -> None:
        """Sort in place by ``key`` of each result (stable, as list.sort)."""
        if self._file is None:
            self._objects.sort(key=key)
            return
        keys = [key(self._load(entry)) for entry in self._index]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._index = [self._index[i] for i in order]

    def editing(self) -> Iterator[Any]:
        """Each result, to be changed in place: once the loop moves on, the change is kept."""
        if self._file is None:
            yield from list(self._objects)
            return
        for i in range(len(self._index)):
            result = self._load(self._index[i])
            try:
                yield result
            finally:
                self._index[i] = self._store(result)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    # -- the spool ---------------------------------------------------------------------------------------------
    def _store(self, result: Any) -> tuple[int, int]:
        _, result_names, findings_at, _, finding_names = _codec()
        row = [getattr(result, name) for name in result_names]
        row[findings_at] = [[getattr(f, name) for name in finding_names] for f in row[findings_at]]
        blob = zlib.compress(marshal.dumps(row), 1)
        self._file.seek(self._end)
        self._file.write(blob)
        entry = (self._end, len(blob))
        self._end += len(blob)
        return entry

    def _load(self, entry: tuple[int, int]) -> Any:
        result_type, _, findings_at, finding_type, _ = _codec()
        offset, length = entry
        self._file.seek(offset)
        row = marshal.loads(zlib.decompress(self._file.read(length)))
        row[findings_at] = [finding_type(*f) for f in row[findings_at]]
        return result_type(*row)


def editing(results: Iterable[Any]) -> Iterator[Any]:
    """Each result of ``results`` to be changed in place (a KeptResults writes it back; a list needs nothing)."""
    if isinstance(results, KeptResults):
        return results.editing()
    return iter(results)
