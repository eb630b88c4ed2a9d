"""Checking a stream of response records, on one core or on several.

Records are read and validated one at a time (checker.validation.iter_responses)
and checked as they come; what is kept of a record afterwards is its findings
(a ResponseResult) and the little that group escalation and pseudonymisation
need (:func:`escalation_view`, the children's ids). The record itself is let go.

With ``jobs`` > 1 the records are partitioned across worker processes (forked,
each with its own copy of the rules engine: durable-rules never releases the
GIL, so threads would not help). Work is handed out a few records at a time and
the results are put back in input order, so a report is byte-identical to one
made with ``jobs=1``. If a worker dies (the engine's C code can crash the
process), only the record it was checking is lost, reported as an input error;
the records queued behind it go to a new worker.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pickle
import signal
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator

from .engine import EngineError
from .errors import InputError
from .escalation import CHILD_SEPARATOR
from .inputs_guard import contained_error
from .kept import KeptResults
from .loading import record_label
from .timeline import response_timeline
from .validation import Record

_HELD = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
WINDOW = 2  # records handed to a worker ahead of the one it is checking (pipes stay far from full)
CRASH_MESSAGE = "could not be evaluated: the rules engine stopped while checking it"

# A hook tests use to make a worker crash on a given record (fork copies it to the workers).
_before_check: Callable[[dict], None] | None = None


def start_forked(process) -> None:
    """Start a forked worker process with SIGTERM, SIGINT and SIGHUP held: a handler that raised inside
    os.fork() would raise in an at-fork hook, where Python prints and ignores the exception. They are
    delivered once the fork is done; the child unblocks them itself (``unhold_signals``)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def unhold_signals() -> None:
    """In a worker forked by :func:`start_forked`: receive the signals the parent held while forking."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


# A hook tests use to make a Forked worker fail (fork copies it to the worker).
_in_forked: Callable[[], None] | None = None


class Forked:
    """``func(*args)`` computed in a forked worker (signals held while forking);
    ``result()`` is its value, or None when the worker failed in any way (the caller then computes it itself,
    so an exception is raised where one process would raise it)."""

    def __init__(self, func, *args) -> None:
        ctx = multiprocessing.get_context("fork")
        self.receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_forked, args=(send, func, args), daemon=True)
        start_forked(self.process)
        send.close()

    def result(self) -> Any:
        try:
            return pickle.loads(self.receive.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            return None
        finally:
            self.receive.close()
            self.process.join(timeout=5)
            if self.process.is_alive():  # pragma: no cover - a worker that does not stop
                self.process.kill()
                self.process.join()


def _forked(conn, func, args) -> None:  # pragma: no cover - runs in the child
    unhold_signals()
    try:
        if _in_forked is not None:
            _in_forked()
        conn.send_bytes(pickle.dumps(func(*args), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:
        pass
    finally:
        conn.close()
        os._exit(0)


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Streamed:
    """What is kept of the records once checked."""

    results: KeptResults = field(default_factory=KeptResults)  # ResponseResult, in input order (bounded memory)
    load_errors: list[InputError] = field(default_factory=list)    # reading and validation, in input order
    engine_errors: list[InputError] = field(default_factory=list)  # records the engine could not evaluate
    responses: list[dict] = field(default_factory=list)   # escalation views, in input order
    child_ids: set[str] = field(default_factory=set)      # every child id named (for pseudonymisation)
    left_out: int = 0                                     # valid records the selection did not keep


def escalation_view(data: dict) -> dict:
    """The part of a response record that group escalation reads (checker/escalation.py): kept for every
    response until the groups are checked, so as small as it can be (the children as a tuple of their ids,
    about 1 KB for a response of 22 children against 7 KB as a list of dicts): the children's ids in one string,
    separated by a control character, which the id check refuses in any id)."""
    view: dict[str, Any] = {"response_id": data["response_id"], "status": data.get("status"),
                            "identified_on": data.get("identified_on"),
                            "young_people": CHILD_SEPARATOR.join(yp["id"] for yp in data.get("young_people", []))}
    for key in ("referral", "closure"):
        if key in data:
            value = data[key]
            view[key] = {"date": value.get("date")} if isinstance(value, dict) else value
    return view


def check_one(checker, record: Record, as_of: dt.date):
    """A ResponseResult, or the InputError of a record the engine could not evaluate."""
    data = record.data
    from .api import ResponseResult

    try:
        if _before_check is not None:
            _before_check(data)
        findings = checker.check_record(data, as_of)
        return ResponseResult(data["response_id"], data["status"], data["identified_on"], record.source, findings,
                              data.get("local_authority"), response_timeline(data))
    except EngineError as exc:
        return InputError(record.source, record_label(data, "response_id", record.position), "",
                          f"could not be evaluated: {exc}", record.line)
    except Exception as exc:  # containment (issue 9): one record's failure is that record's input error
        return contained_error(record, "response_id", exc)


def check_stream(checker, items: Iterable[Record | InputError], as_of: dt.date, jobs: int = 1,
                 progress: Callable[[int, int | None], None] | None = None, child_ids: bool = False,
                 keep: Callable[[dict], bool] | None = None) -> Streamed:
    """Check every valid record of ``items`` that ``keep`` keeps (checker.selection); errors are kept in
    input order. Every valid record, kept or not, is kept for group escalation: a group's referral may sit
    in a response the selection leaves out."""
    out = Streamed()
    if child_ids:
        from .pseudonymise import collect_child_ids
    done = 0

    def records() -> Iterator[Record]:
        for item in items:
            if isinstance(item, InputError):
                out.load_errors.append(item)
                continue
            out.responses.append(escalation_view(item.data))
            if child_ids:
                out.child_ids.update(collect_child_ids([item.data]))
            if keep is not None and not keep(item.data):
                out.left_out += 1
                continue
            yield item

    shared: dict = {}

    def collect(outcome) -> None:
        nonlocal done
        if isinstance(outcome, InputError):
            out.engine_errors.append(outcome)
        else:
            if out.results.spooled:  # written out at once: sharing its strings would only keep them all alive
                shared.clear()
                out.results.append(outcome)
            else:
                out.results.append(_compact(outcome, shared.setdefault))
        done += 1
        if progress:
            progress(done, None)

    if jobs <= 1:
        for record in records():
            collect(check_one(checker, record, as_of))
    else:
        for outcome in _Pool(checker, as_of, jobs).run(records()):
            collect(outcome)
    return out


def _compact(result, share):
    """One object for each repeated string of the findings kept (rule ids, titles, clauses, most
    messages and pointers recur in every response; a worker's results arrive as fresh copies)."""
    for f in result.findings:
        f.rule, f.status, f.severity = share(f.rule, f.rule), share(f.status, f.status), share(f.severity, f.severity)
        f.section, f.clause, f.title = share(f.section, f.section), share(f.clause, f.clause), share(f.title, f.title)
        f.message = share(f.message, f.message)
        for name in ("missing", "evidence", "unknown", "pending"):
            values = getattr(f, name)
            if values:
                setattr(f, name, [share(v, v) for v in values])
    result.timeline = [{share(k, k): share(v, v) for k, v in event.items()} for event in result.timeline]
    return result


# -- worker processes --------------------------------------------------------------------------------------------


def _worker(conn, checker, as_of: dt.date) -> None:  # pragma: no cover - runs in the child (no coverage there)
    unhold_signals()  # held by the parent while it forked
    try:
        while True:
            job = conn.recv()
            if job is None:
                break
            try:
                outcome = check_one(checker, job, as_of)
            except Exception as exc:  # a defect, not a crash: raised in the main process, as with jobs=1
                outcome = _Raised(exc)
            conn.send(outcome)
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        conn.close()
        os._exit(0)


class _Raised:
    """An exception a worker met, carried back to be raised where jobs=1 would raise it."""

    def __init__(self, exc: Exception) -> None:
        try:
            pickle.dumps(exc)
            self.exc = exc
        except Exception:  # pragma: no cover - an exception that cannot be pickled
            self.exc = RuntimeError(type(exc).__name__)


class _Worker:
    def __init__(self, ctx, checker, as_of: dt.date) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, checker, as_of), daemon=True)
        start_forked(self.process)
        child.close()
        self.queue: deque[tuple[int, Record]] = deque()  # sent, not yet answered; the first is being checked

    def send(self, seq: int, record: Record) -> None:
        self.queue.append((seq, record))
        self.conn.send(record)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():  # pragma: no cover - a worker that does not stop
            self.process.kill()
            self.process.join()


class _Pool:
    """Forked workers, results given back in input order."""

    def __init__(self, checker, as_of: dt.date, jobs: int) -> None:
        self.checker, self.as_of, self.jobs = checker, as_of, jobs
        self.ctx = multiprocessing.get_context("fork")
        self.workers: list[_Worker] = []

    def _worker_for(self) -> _Worker | None:
        """The least busy worker with room, starting another (up to ``jobs``) when all are busy."""
        idle = min(self.workers, key=lambda w: len(w.queue), default=None)
        if (idle is None or idle.queue) and len(self.workers) < self.jobs:
            worker = _Worker(self.ctx, self.checker, self.as_of)
            self.workers.append(worker)
            return worker
        return idle if idle is not None and len(idle.queue) <= WINDOW else None

    def run(self, records: Iterator[Record]) -> Iterator[Any]:
        finished: dict[int, Any] = {}
        retry: deque[tuple[int, Record]] = deque()
        next_out = 0
        seq = 0
        exhausted = False
        try:
            while True:
                # hand out work: records to retry first, then new ones
                while True:
                    worker = self._worker_for()
                    if worker is None:
                        break
                    if retry:
                        job = retry.popleft()
                    elif exhausted:
                        break
                    else:
                        record = next(records, None)
                        if record is None:
                            exhausted = True
                            break
                        job = (seq, record)
                        seq += 1
                    try:
                        worker.send(*job)
                    except OSError:  # the worker died before we saw it (a broken pipe)
                        self._lost(worker, finished, retry)
                busy = [w for w in self.workers if w.queue]
                if not busy:
                    break
                ready = wait([w.conn for w in busy])
                for worker in busy:
                    if worker.conn not in ready:
                        continue
                    try:
                        outcome = worker.conn.recv()
                    except (EOFError, OSError):
                        self._lost(worker, finished, retry)
                        continue
                    if isinstance(outcome, _Raised):
                        raise outcome.exc
                    done_seq, _ = worker.queue.popleft()
                    finished[done_seq] = outcome
                while next_out in finished:
                    yield finished.pop(next_out)
                    next_out += 1
        finally:
            for worker in self.workers:
                worker.stop()

    def _lost(self, worker: _Worker, finished: dict[int, Any], retry: deque) -> None:
        """A worker died: its current record is lost (an input error), the rest go to another worker."""
        try:  # what it finished before dying is kept
            while worker.queue and worker.conn.poll():
                outcome = worker.conn.recv()
                if isinstance(outcome, _Raised):
                    raise outcome.exc
                finished[worker.queue.popleft()[0]] = outcome
        except (EOFError, OSError):
            pass
        if worker.queue:
            seq, record = worker.queue.popleft()
            data = record.data
            finished[seq] = InputError(record.source, data["response_id"], "", CRASH_MESSAGE, record.line)
        retry.extendleft(reversed(worker.queue))
        worker.queue.clear()
        worker.conn.close()
        worker.process.join()
        self.workers.remove(worker)
