"""Shared test helpers."""
from __future__ import annotations

import copy
import os
import sys

import pytest

_MINIMAL_RESPONSE = {
    "schema_version": "1.0",
    "response_id": "R-1",
    "status": "open",
    "identified_on": "2026-03-02",
    "young_people": [{"id": "YP-A"}],
}


def minimal_response(response_id: str = "R-1", **fields: object) -> dict:
    """The smallest valid response record, with ``fields`` set (a fresh copy each call)."""
    record = copy.deepcopy(_MINIMAL_RESPONSE)
    record["response_id"] = response_id
    record.update(copy.deepcopy(fields))
    return record


@pytest.fixture
def make_response():
    """Factory for minimal valid response records: ``make_response("R-2", status="closed", ...)``."""
    return minimal_response


def pytest_collection_modifyitems(config, items):
    """Slow and browser tests first, so that parallel workers (pytest-xdist) do not end on a long tail."""
    items.sort(key=_schedule)


# The longest test (a wheel built and installed into a fresh venv, about 20 s of CPU, most of it in pip
# subprocesses) goes first of all, so that it overlaps the rest of the suite.
_LONGEST_FIRST = ("tests/test_packaging.py::test_a_wheel_installed_into_a_fresh_venv",)


def _schedule(item) -> int:
    if item.nodeid.startswith(_LONGEST_FIRST):
        return 0
    return 1 if item.get_closest_marker("slow") or item.get_closest_marker("browser") else 2


def _untraced_in_forked_children() -> None:
    """A worker forked by --jobs (checker/parallel.py) ends with os._exit: coverage never records it (its code
    is marked ``pragma: no cover``), so tracing it under ``--cov`` only costs CPU (about half of each in-process
    `check`'s worker time). Processes started with subprocess are not forks of this one and are unaffected."""
    if sys.gettrace() is not None:
        sys.settrace(None)


os.register_at_fork(after_in_child=_untraced_in_forked_children)
