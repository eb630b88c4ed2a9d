"""A SIGTERM that lands where Python ignores exceptions prints no traceback (issue 9 item 11, found again
under load in issue 13: 'Exception ignored in: _ConnectionBase.__del__' reached stderr)."""
from __future__ import annotations

import signal
import sys
import types

from checker import cli


def _unraisable(exc: BaseException):
    return types.SimpleNamespace(exc_type=type(exc), exc_value=exc, exc_traceback=None, err_msg=None,
                                 object=None)


def test_a_swallowed_sigterm_prints_nothing_and_other_unraisables_still_do(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    previous_handler = signal.getsignal(signal.SIGTERM)
    try:
        cli._install_sigterm()
        cli._install_sigterm()  # installed once: the hook is not wrapped twice
        hook = sys.unraisablehook
        assert hook.__name__ == "_quiet_terminated"
        hook(_unraisable(cli.Terminated()))
        assert seen == []
        hook(_unraisable(ValueError("x")))
        assert seen == [ValueError]
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
