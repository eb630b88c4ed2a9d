"""The command line: a thin layer over checker.api.

Exit codes (also in README and ``shg-check --help``):
  0  no gaps (and no input errors)
  1  gaps found
  2  usage or rule-configuration error (nothing was checked)
  3  input errors: some records could not be read or were invalid (the rest were checked)
When several apply, the highest-priority wins: 2, then 3, then 1.
"""
from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path

import click

from . import __version__
from .api import DEFAULT_RULES, check
from .atomic import write_atomic
from .errors import ConfigError, UsageError
from .limits import DATE_RANGE_MESSAGE, in_date_range
from .parallel import default_jobs
from .validation import load_responses

EXIT_OK = 0
EXIT_GAPS = 1
EXIT_USAGE = 2
EXIT_INPUT_ERRORS = 3

EXIT_CODES_HELP = """\b
Exit codes:
  0  no gaps and no input errors
  1  gaps found (unwaived, of at least the --fail-on severity; --fail-on new: new since --baseline)
  2  usage or rule-configuration error (nothing checked)
  3  input errors (invalid records reported; the others checked)
  When several apply: 2 wins over 3, 3 wins over 1."""


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    if not in_date_range(day):
        raise click.BadParameter(DATE_RANGE_MESSAGE)
    return day


def exit_code(report, fail_on: str | None = None) -> int:
    """3 for input errors; else 1 when a gap fails under ``fail_on``; else 0 (from the one summary model)."""
    from .gating import exit_code as model_exit_code

    return model_exit_code(report, fail_on)


class _ProgressBar:
    """A click progress bar over the records, on standard error, only when it is a terminal."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.bar = None
        self.done = 0
        self.counting = False

    @property
    def enabled(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def __call__(self, n: int, total: int | None) -> None:
        if total is None:  # records streamed: the total is not known in advance, count them
            if n == 1 or n % 25 == 0:
                self.stream.write(f"\rChecking records: {n:,} checked")
                self.stream.flush()
            self.done, self.counting = n, True
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Checking records", file=self.stream)
            self.bar.__enter__()
        self.bar.update(n - self.done)
        self.done = n

    def close(self) -> None:
        if self.counting:
            self.stream.write(f"\rChecking records: {self.done:,} checked\n")
            self.stream.flush()
            self.counting = False
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def write_output_dir(directory: str, report) -> list[str]:
    """Every format into ``directory`` (report.json, .html, .csv, .md, .junit.xml, .txt), each atomically.

    Each is rendered and written to a temporary file in turn (one report in memory at a time; the JSON in
    chunks); only when all are written are they swapped in, so a failure leaves the old files as they were."""
    from functools import partial

    from .reporting import FILENAMES, STREAMERS

    from .outputs import write_set

    rendered = {FILENAMES[fmt]: partial(STREAMERS[fmt], report) for fmt in FILENAMES}  # each streamed in turn
    return write_set(directory, rendered)  # the six files as one set: all written, then swapped in


class Terminated(BaseException):
    """SIGTERM arrived: unwinds the run (temporary files are removed on the way) to a clear message.

    A BaseException, so no per-record containment (``except Exception``) can swallow it."""


EXIT_TERMINATED = 128 + 15


_SIGTERM_SEEN = []  # set by the handler: a SIGTERM whose exception Python swallowed still ends the run as one


def _on_sigterm(signum, frame):
    _SIGTERM_SEEN.append(signum)
    raise Terminated


def _install_sigterm() -> None:
    import signal

    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): leave its handling alone
        return
    if getattr(sys.unraisablehook, "__name__", "") != "_quiet_terminated":
        previous = sys.unraisablehook

        def _quiet_terminated(unraisable):
            """A SIGTERM raised where Python ignores exceptions (a finaliser such as a pipe's __del__, an
            at-fork hook) would print 'Exception ignored in ...' and a traceback: the run ends as 143 with
            its one line instead (_Group.main); anything else goes to the usual hook."""
            if unraisable.exc_type is not None and issubclass(unraisable.exc_type, Terminated):
                return
            previous(unraisable)

        sys.unraisablehook = _quiet_terminated


def _selection_options(func):
    func = click.option("--local-authority", "local_authority", multiple=True, metavar="CODE",
                        help="Check only responses of this local authority (repeatable).")(func)
    func = click.option("--identified-to", "identified_to", callback=_date, metavar="YYYY-MM-DD",
                        help="Check only responses identified on or before this date.")(func)
    func = click.option("--identified-from", "identified_from", callback=_date, metavar="YYYY-MM-DD",
                        help="Check only responses identified on or after this date.")(func)
    func = click.option("--status", "status", type=click.Choice(["open", "closed"]),
                        help="Check only open, or only closed, responses.")(func)
    return func


TERMINATED_MESSAGE = ("Error: stopped by SIGTERM before the run finished; every report file is whole (last "
                      "run's or this run's, an --output-dir as a set) and no temporary file is left")


class _Group(click.Group):
    def main(self, *args, **kwargs):
        """A SIGTERM is exit 143 with one line, even when its exception was raised where Python ignores
        exceptions (a finaliser, an at-fork hook) and the run went on to the end."""
        _install_sigterm()
        try:
            result = self._main(*args, **kwargs)
        except SystemExit as exc:
            if _SIGTERM_SEEN and exc.code != EXIT_TERMINATED:
                click.echo(TERMINATED_MESSAGE, err=True)
                sys.exit(EXIT_TERMINATED)
            raise
        if _SIGTERM_SEEN:
            click.echo(TERMINATED_MESSAGE, err=True)
            sys.exit(EXIT_TERMINATED)
        return result

    def _main(self, *args, **kwargs):  # keep every failure a one-line error with exit code 2
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except Terminated:
            click.echo(TERMINATED_MESSAGE, err=True)
            sys.exit(EXIT_TERMINATED)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_USAGE)
        except (ConfigError, UsageError) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except OSError as exc:
            click.echo(f"Error: {exc.strerror or 'cannot write'}: {exc.filename or ''}", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as exc:  # never a traceback: say what kind of failure, nothing of the data
            click.echo(f"Error: internal error ({type(exc).__name__}); please report it with the command used",
                       err=True)
            sys.exit(EXIT_USAGE)


def _vocab_option(func):
    """--vocab FILE (repeatable): the command runs with the vocabularies of its rules folder (its
    vocabularies.yaml, else the bundled one) and these overrides layered on top (checker/vocab.py)."""
    @functools.wraps(func)
    def wrapper(*args, vocab_files=(), **kwargs):
        from .vocab import load_vocabularies, using

        with using(load_vocabularies(kwargs.get("rules_dir") or DEFAULT_RULES, vocab_files)):
            return func(*args, **kwargs)
    return click.option("--vocab", "vocab_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
                        help="Vocabulary overrides (YAML, the shape of rules/vocabularies.yaml): add role, agency "
                             "and item codes, change labels and synonyms, name the front door; repeatable, "
                             "later wins.")(wrapper)


@click.group(cls=_Group, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="shg-check")
def main() -> None:
    """Check multi-agency responses to possible self-harm groups against the
    partnership's chapter, and report the gaps.

    Records are special category personal data about children: reports name
    children only by their pseudonymous ids, and never print names or free text."""


def _emit(text, output: str | None, done: str = "") -> None:
    """The rendered text to FILE (atomically, then ``wrote FILE: done`` on standard error), else to standard
    output."""
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}" + (f": {done}" if done else ""), err=True)
    else:
        click.echo(text, nl=False)


@main.command("check", epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD",
              help="The date the check is made on: decides what is due. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html", "csv", "markdown", "junit"]),
              default="text", show_default=True,
              help="Report format for standard output or --output: text; json (exchange format v1); html (one "
                   "self-contained page); csv (one row per finding, safe for spreadsheets); markdown (an overview); "
                   "junit (XML for CI dashboards).")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--output-dir", "output_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Also write every format to DIR: report.json, report.html, report.csv, report.md, "
                   "report.junit.xml, report.txt (each atomically). Without --format or --output, standard output "
                   "then gets only a one-line summary.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), metavar="PREVIOUS.json",
              help="A previous JSON report: mark each gap new or persisting, and list the resolved ones. "
                   "A gap is identified by response_id + rule (groups: group_id + rule). A file that does not exist "
                   "yet is a first night: a warning, not an error.")
@click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="YAML list of accepted gaps (response_id or group, rule, reason, approved_by, and expires_on, "
                   "which is required): shown as waived, not counted for the exit code until they expire "
                   "(relative to --as-of).")
@click.option("--fail-on", "fail_on", type=click.Choice(["high", "medium", "low", "never", "new"]), default="low",
              show_default=True,
              help="Exit 1 only for an unwaived gap of at least this severity (low: any gap; never: gaps never fail; "
                   "new: only gaps new since --baseline, a ratchet).")
@click.option("--pseudonymise", "key_file", type=click.Path(dir_okay=False), metavar="KEYFILE",
              help="Replace every child's id in every output by YP# + 16 hex digits of HMAC-SHA256 keyed with "
                   "KEYFILE's bytes (at least 16): stable across runs with the same key.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=str(DEFAULT_RULES),
              show_default=True, help="Folder of rule files and parameters.yaml.")
@click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The partnership's parameter overrides (YAML: parameters: {name: value}).")
@click.option("--engine", type=click.Choice(["durable", "python"]), default="durable", show_default=True,
              help="durable-rules, or the plain-Python evaluation of the same rules (for comparison).")
@click.option("--incidents", "incidents", multiple=True, type=click.Path(), metavar="FEED",
              help="Incident feed (.csv, .json, .jsonl, or a folder of them); repeatable. Finds possible groups "
                   "and reports whether a response escalated each (report 'groups').")
@_selection_options
@click.option("--csv-rows", "csv_rows", type=click.Choice(["gaps", "all"]), default="gaps", show_default=True,
              help="CSV: only the gaps (and resolved gaps), or every finding.")
@click.option("--history", "history_file", type=click.Path(dir_okay=False), metavar="DB",
              help="Record this run in a SQLite history file (created if missing); see `shg-check history`. "
                   "The HTML then shows the trend.")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Check the responses in N worker processes (default: the number of cores). "
                   "The reports are the same for every N.")
@click.option("--mapping", "mapping", type=click.Path(dir_okay=False), metavar="MAPPING.yaml",
              help="How to read .xlsx workbooks and folders of CSV tables (default: a folder's mapping.yaml, "
                   "else the tracker template's own mapping).")
@_vocab_option
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False), default=None, metavar="CHAPTER.yaml",
              help="The chapter as clauses (default: policy/chapter.yaml). The rules must pass `shg-check rules "
                   "lint` against it, or nothing is checked (exit 2); the reports quote its clause texts.")
def check_command(paths, as_of, fmt, output, output_dir, baseline_file, waivers_file, fail_on, key_file,
                  rules_dir, params_file, engine, incidents, status, identified_from, identified_to,
                  local_authority, csv_rows, history_file, jobs, mapping, policy_file):
    """Check response records (files or folders of .json / .jsonl, .xlsx trackers, folders of CSV tables)
    and report gaps.

    \b
    Examples:
      shg-check check exports/ --as-of 2026-11-27 --format json --output report.json
      shg-check check exports/ --incidents feed.csv --as-of 2026-11-27
      shg-check check exports/ --output-dir reports/ --baseline last-night.json \\
          --waivers waivers.yaml --fail-on high --pseudonymise partnership.key

    The same inputs and --as-of give byte-identical reports in every format."""
    from .outputs import refuse_overwrite
    from .reporting import FILENAMES, RENDERERS
    from .selection import Selection

    if fail_on == "new" and not baseline_file:
        raise UsageError("--fail-on new needs --baseline (the previous night's JSON report)")
    selection = Selection(status, identified_from, identified_to, tuple(local_authority))
    written = {}
    if output:
        written["--output"] = [output]
    if output_dir:
        written["--output-dir"] = [output_dir, *(str(Path(output_dir) / name) for name in FILENAMES.values())]
    refuse_overwrite(written, [*paths, *incidents], {"--pseudonymise key file": key_file, "--waivers file": waivers_file,
                                                      "--params file": params_file, "--rules folder": rules_dir,
                                                      "--policy file": policy_file})
    progress = _ProgressBar()
    try:
        report = check(paths, as_of, rules_dir, params_file, engine,
                       progress=progress if progress.enabled else None,
                       waivers_file=waivers_file, baseline_file=baseline_file, pseudonymise_key_file=key_file,
                       incidents=list(incidents) or None, selection=selection, fail_on=fail_on,
                       jobs=jobs or default_jobs(), **({"mapping": mapping} if mapping else {}),
                       **({"policy_file": policy_file} if policy_file else {}))
    finally:
        progress.close()
    report.csv_rows = csv_rows
    if history_file:
        from .history import History

        with History(history_file) as hist:
            hist.record(report)
            report.history = hist.trend()
    model = report.summary_model()
    code = model.exit_code
    counts = model.line()
    if model.first_night:
        click.echo(f"Warning: {baseline_file} does not exist yet: first night, no gap is new or persisting",
                   err=True)
    shown = not output and (not output_dir or click.get_current_context().get_parameter_source("fmt").name
                            != "DEFAULT")
    text = RENDERERS[fmt](report) if shown else None  # (a file is written in chunks: STREAMERS)
    if output_dir:
        write_output_dir(output_dir, report)
        click.echo(f"wrote {output_dir}/report.{{json,html,csv,md,junit.xml,txt}}: {counts}", err=True)
    if output:
        from .reporting import STREAMERS

        write_atomic(output, STREAMERS[fmt](report))
        click.echo(f"wrote {output}: {counts}", err=True)
    elif shown:
        click.echo(text, nl=False)
    sys.exit(code)


DETECT_EXIT_HELP = """\b
Exit codes:
  0  nothing needs action: no possible group found, or (with --responses) every group escalated in time
     or not yet due, and no input errors
  1  a group needs action: not escalated or escalated late (with --responses), or found but not checked
     for escalation (without --responses: each needs a look)
  2  usage or rule-configuration error (nothing checked)
  3  input errors (invalid rows reported; the others used)"""


@main.command("detect", epilog=DETECT_EXIT_HELP)
@click.argument("feeds", nargs=-1, required=True, type=click.Path())
@click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD",
              help="The date of the run: later episodes are left out, and dates are judged from it. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html", "csv", "markdown", "junit"]),
              default="text", show_default=True, help="Report format (the same formats as check).")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--responses", "responses", multiple=True, type=click.Path(), metavar="PATH",
              help="Response records (file or folder; repeatable): check each group for escalation, so escalated "
                   "groups need no action.")
@click.option("--pseudonymise", "key_file", type=click.Path(dir_okay=False), metavar="KEYFILE",
              help="Replace every child's id by its keyed pseudonym, as check does.")
@click.option("--fail-on", "fail_on", type=click.Choice(["high", "medium", "low", "never"]), default="low",
              show_default=True, help="With --responses: exit 1 only for group gaps of at least this severity.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=str(DEFAULT_RULES),
              show_default=True, help="Folder of rules (detection rules in its detection/ folder) and parameters.yaml.")
@click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The partnership's parameter overrides (YAML: parameters: {name: value}).")
@click.option("--jobs", "jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Read a large feed and find its groups on 2 cores when N > 1 (default: the number of cores). "
                   "The report is the same for every N.")
@_vocab_option
def detect_command(feeds, as_of, fmt, output, responses, key_file, fail_on, rules_dir, params_file, jobs=None):
    """Find possible self-harm groups in incident feeds (.csv, .json, .jsonl, or folders of them).

    No response records are read, so no group is checked for escalation: use
    `shg-check check RESPONSES --incidents FEED` for that.

    Example: shg-check detect feeds/ --as-of 2026-11-27 --format json --output groups.json"""
    from .api import detect_report
    from .outputs import refuse_overwrite
    from .reporting import RENDERERS
    from .reporting.groups_report import render_detection_text

    if output:
        refuse_overwrite({"--output": [output]}, [*feeds, *responses],
                         {"--params file": params_file, "--rules folder": rules_dir, "--pseudonymise key file": key_file})
    report = detect_report(feeds, as_of, rules_dir, params_file, list(responses) or None, key_file, fail_on,
                           jobs=jobs or default_jobs())
    text = render_detection_text(report) if fmt == "text" else RENDERERS[fmt](report)
    model = report.summary_model()
    _emit(text, output, f"{len(report.groups or [])} possible groups, {len(report.input_errors)} input errors. "
                        f"Exit {model.exit_code}: {model.reason}")
    sys.exit(model.exit_code)


@main.command("history")
@click.argument("database", type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--last", "last", type=click.IntRange(min=1), metavar="N", help="Only the last N runs (by as-of date).")
def history_command(database, fmt, last):
    """List the runs recorded with `check --history DB`: gaps by severity and section per night, new /
    persisting / resolved / waived, exit codes, and how long gaps took to resolve."""
    from .history import History, render_history

    with History(database) as hist:
        click.echo(render_history(hist.trend(last), fmt), nl=False)


@main.command("validate", epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--mapping", "mapping", type=click.Path(dir_okay=False), metavar="MAPPING.yaml",
              help="How to read .xlsx workbooks and folders of CSV tables (default: the tracker template's).")
@_vocab_option
def validate_command(paths, mapping):
    """Validate response records against the exchange format, without checking them.

    Prints one line per problem (file, record, JSON pointer, message; for a
    workbook also its sheet, row and column); exit 3 if any."""
    from .tabular import unmapped_columns

    loaded = load_responses(paths, mapping)
    for e in loaded.errors:
        where = f":{e.line}" if e.line else ""
        click.echo(f"{e.source}{where}: record {e.record or '-'}: {e.path or '(whole record)'}: {e.message}")
    for note in unmapped_columns(paths, mapping):
        click.echo(f"note: {note}", err=True)
    click.echo(f"{len(loaded.records)} valid, {len(loaded.errors)} errors", err=True)
    sys.exit(EXIT_INPUT_ERRORS if loaded.errors else EXIT_OK)


@main.command("template")
@click.argument("directory", type=click.Path(file_okay=False), default="tracker")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=str(DEFAULT_RULES),
              show_default=True, help="Folder of rule files (the checklists and clause references come from it).")
@_vocab_option
def template_command(directory, rules_dir):
    """Write the response tracker and the meeting checklists into DIRECTORY (default: tracker).

    \b
    DIRECTORY/tracker.xlsx               the tracker workbook (one sheet per table, drop-downs, README)
    DIRECTORY/tracker-mapping.yaml       how shg-check reads it (start a local mapping from it)
    DIRECTORY/checklists/*-meeting.md    meeting checklists (also .html): who attends, what is covered

    Generated from the exchange-format schema and the rules. Fill the tracker, then
    `shg-check validate DIRECTORY/tracker.xlsx` and `shg-check check DIRECTORY/tracker.xlsx`."""
    from .tabular import write_template

    written = write_template(directory, rules_dir)
    for path in written:
        click.echo(f"wrote {path}", err=True)


@main.group("rules")
def rules_group():
    """Author tools: how the rules cover the chapter, and whether they work.

    \b
      shg-check rules coverage      clause -> rules -> examples (exit 1 if an obligation is uncovered)
      shg-check rules test          every rule's examples, durable engine and oracle (exit 1 on failure)
      shg-check rules show RULE     one rule, its clauses, parameters and examples
      shg-check rules lint          schema, ids, clauses, examples, codes (exit 1 on a problem)
      shg-check rules book          the rulebook people read, HTML or Markdown (clause by clause)
      shg-check rules new ID --clause C   start a rule file (placeholders, one pass and one fail example)
      shg-check rules reference     the rule language for authors (docs/rule-language.md)
      shg-check rules diff OLD NEW  what changed between two rule sets (rules, parameters, clauses, vocabularies)
      shg-check rules impact --from OLD --to NEW EXPORT...   which findings of which responses a change alters"""


def _rules_options(func):
    func = _vocab_option(func)
    func = click.option("--policy", "policy_file", type=click.Path(dir_okay=False), default=None,
                        help="The chapter as clauses (default: policy/chapter.yaml).")(func)
    func = click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
                        help="The partnership's parameter overrides.")(func)
    func = click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=str(DEFAULT_RULES),
                        show_default=True, help="Folder of rule files and parameters.yaml.")(func)
    return func


def _load(rules_dir, params_file, policy_file):
    from .policy import load_policy
    from .rulebook import load_rulebook

    rulebook = load_rulebook(Path(rules_dir), Path(params_file) if params_file else None)
    return rulebook, load_policy(Path(policy_file) if policy_file else None)


@rules_group.command("coverage")
@_rules_options
def rules_coverage(rules_dir, params_file, policy_file):
    """Every clause of the chapter, its kind and the rules that check it."""
    from .authoring import coverage, render_coverage

    rulebook, policy = _load(rules_dir, params_file, policy_file)
    rows = coverage(rulebook, policy)
    click.echo(render_coverage(rows, policy), nl=False)
    sys.exit(EXIT_GAPS if any(r.problem for r in rows) else EXIT_OK)


@rules_group.command("test")
@_rules_options
@click.option("--rule", "rule_ids", multiple=True, metavar="RULE", help="Only this rule (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="List the examples that pass too.")
def rules_test(rules_dir, params_file, policy_file, rule_ids, verbose):
    """Run every rule's examples through the durable engine and the oracle."""
    from .authoring import render_test, run_examples
    from .rulebook import load_rulebook

    rulebook = load_rulebook(Path(rules_dir), Path(params_file) if params_file else None)
    unknown = set(rule_ids) - {r.id for r in rulebook.rules}
    if unknown:
        raise UsageError(f"no rule {', '.join(sorted(unknown))}")
    results = run_examples(rulebook, rule_ids or None)
    click.echo(render_test(results, verbose), nl=False)
    sys.exit(EXIT_GAPS if any(not r.ok for r in results) else EXIT_OK)


@rules_group.command("show")
@click.argument("rule_id", metavar="RULE")
@_rules_options
def rules_show(rule_id, rules_dir, params_file, policy_file):
    """One rule: what it checks, its clause text, its parameters and values, its examples."""
    from .authoring import render_show

    rulebook, policy = _load(rules_dir, params_file, policy_file)
    click.echo(render_show(rulebook, policy, rule_id), nl=False)


@rules_group.command("lint")
@_rules_options
def rules_lint(rules_dir, params_file, policy_file):
    """Check the rule files: schema, unique ids, cited clauses, examples, known codes, placeholders left by
    `rules new`; each problem as file:line:column. `check` refuses a rule set that fails it."""
    from .authoring import lint
    from .policy import load_policy

    policy = load_policy(Path(policy_file) if policy_file else None)
    problems = lint(Path(rules_dir), policy, Path(params_file) if params_file else None)
    for p in problems:
        click.echo(p)
    click.echo(f"{len(problems)} problem(s)" if problems else "rules lint: no problems", err=bool(problems))
    sys.exit(EXIT_GAPS if problems else EXIT_OK)


@rules_group.command("book")
@_rules_options
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default="html", show_default=True,
              help="html: one self-contained page; markdown: the same text as Markdown.")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the rulebook to FILE (atomically) instead of standard output.")
def rules_book(rules_dir, params_file, policy_file, fmt, output):
    """The rulebook people read: the chapter clause by clause, with the rules that check each clause.

    \b
    For every clause: its text and strength; the rules that check it in plain English (what is
    required, severity, when it does not apply, parameters with value and source, examples);
    or why no rule checks it. Generated from the chapter and the rules: never edit it by hand.
      shg-check rules book --format html --output rulebook.html
      shg-check rules book --format markdown --output rulebook.md"""
    from .book import build_book, render_html, render_markdown

    rulebook, policy = _load(rules_dir, params_file, policy_file)
    book = build_book(rulebook, policy)
    text = render_html(book) if fmt == "html" else render_markdown(book)
    _emit(text, output, f"{book.counts['clauses']} clauses, {book.counts['rules']} rules")


@rules_group.command("new")
@click.argument("rule_id", metavar="RULE-ID")
@click.option("--clause", "clause_id", required=True, metavar="CLAUSE",
              help="The chapter clause the rule checks, e.g. 4-P2 (see `shg-check rules coverage`).")
@_rules_options
def rules_new(rule_id, clause_id, rules_dir, params_file, policy_file):
    """Start a new rule: write RULES/<section>/RULE-ID.yaml with placeholders, comments and one passing and
    one failing example.

    \b
    `shg-check rules lint` lists each placeholder left ("fill this in"); replace them, change the
    requirement and the examples to what the clause asks, then run `shg-check rules test --rule RULE-ID`."""
    from .authoring import new_rule
    from .policy import load_policy

    policy = load_policy(Path(policy_file) if policy_file else None)
    path, text = new_rule(Path(rules_dir), policy, rule_id, clause_id)
    if path.exists():
        raise UsageError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    click.echo(f"wrote {path}: replace each FILL IN and fill_in, then `shg-check rules lint`", err=True)


@rules_group.command("reference")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write it to FILE (atomically), e.g. docs/rule-language.md; default: standard output.")
def rules_reference(output):
    """The rule language for authors, generated from the rule schema: every field, its values and meaning,
    the facts and their fields, and the deprecated names."""
    from .reference import render_reference

    text = render_reference()
    _emit(text, output)


@rules_group.command("diff")
@click.argument("old_dir", metavar="OLD", type=click.Path(file_okay=False))
@click.argument("new_dir", metavar="NEW", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The partnership's parameter overrides, applied to both.")
def rules_diff(old_dir, new_dir, fmt, params_file):
    """What changed between two rule sets, in words: chapter versions, rules, parameters (values and from
    when), the clauses the rules check, and vocabularies.

    \b
    OLD and NEW are rule set folders: rules/ or a later chapter version that inherits it, e.g.
      shg-check rules diff rules rules/versions/2028-03-01
    Exit 0 when they judge alike, 1 when something changed."""
    from .rulebook import load_rulebook
    from .ruleset_diff import diff, render_diff_json, render_diff_text

    params = Path(params_file) if params_file else None
    old, new = load_rulebook(Path(old_dir), params), load_rulebook(Path(new_dir), params)
    changes = diff(old, new)
    click.echo((render_diff_json if fmt == "json" else render_diff_text)(old, new, changes), nl=False)
    sys.exit(EXIT_GAPS if changes else EXIT_OK)


@rules_group.command("impact")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--from", "old_dir", required=True, type=click.Path(file_okay=False), metavar="OLD",
              help="The rule set in force now (a rules folder).")
@click.option("--to", "new_dir", required=True, type=click.Path(file_okay=False), metavar="NEW",
              help="The proposed rule set (a rules folder, e.g. a new chapter version).")
@click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD",
              help="Judge as of this date (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report here (atomically) instead of standard output.")
@click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The partnership's parameter overrides, applied to both.")
@click.option("--vocab", "vocab_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Vocabulary overrides layered on the NEW rule set's vocabularies (records are read with them).")
def rules_impact(paths, old_dir, new_dir, as_of, fmt, output, params_file, vocab_files):
    """For each response, which findings a rule change alters and why, with a summary by rule:
    what a partnership board reads before approving a change.

    \b
    Example:
      shg-check rules impact --from rules --to rules/versions/2028-03-01 exports/ --format html --output impact.html
    Children are named only by the export's pseudonymous ids. Exit 0 when no finding changes, 1 when
    some do, 3 when some records could not be checked."""
    from .impact import RENDERERS, impact
    from .outputs import refuse_overwrite

    if output:
        refuse_overwrite({"--output": [output]}, list(paths), {"--from folder": old_dir, "--to folder": new_dir,
                                                               "--params file": params_file})
    result = impact(paths, old_dir, new_dir, as_of, params_file, vocab_files)
    text = RENDERERS[fmt](result)
    _emit(text, output, f"{len(result.responses_changed)} responses with changed findings")
    sys.exit(EXIT_INPUT_ERRORS if result.input_errors else EXIT_GAPS if result.changes else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
