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
import sys
from pathlib import Path

import click

from . import __version__
from .api import DEFAULT_RULES, check, detect
from .atomic import write_atomic
from .errors import ConfigError, UsageError
from .validation import load_responses

EXIT_OK = 0
EXIT_GAPS = 1
EXIT_USAGE = 2
EXIT_INPUT_ERRORS = 3

EXIT_CODES_HELP = """\b
Exit codes:
  0  no gaps and no input errors
  1  gaps found (unwaived, of at least the --fail-on severity)
  2  usage or rule-configuration error (nothing checked)
  3  input errors (invalid records reported; the others checked)
  When several apply: 2 wins over 3, 3 wins over 1."""


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def exit_code(report, fail_on: str = "low") -> int:
    """3 for input errors; else 1 when an unwaived gap of at least ``fail_on`` severity exists; else 0."""
    from .gating import failing_gaps

    if report.input_errors:
        return EXIT_INPUT_ERRORS
    if failing_gaps(report, fail_on):
        return EXIT_GAPS
    return EXIT_OK


class _ProgressBar:
    """A click progress bar over the records, on standard error, only when it is a terminal."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.bar = None
        self.done = 0

    @property
    def enabled(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def __call__(self, n: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Checking records", file=self.stream)
            self.bar.__enter__()
        self.bar.update(n - self.done)
        self.done = n

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def write_output_dir(directory: str, report) -> list[str]:
    """Every format into ``directory`` (report.json, .html, .csv, .md, .junit.xml, .txt), each atomically.

    Everything is rendered before anything is written, so a failure leaves the old files as they were."""
    from .reporting import FILENAMES, RENDERERS

    rendered = {FILENAMES[fmt]: RENDERERS[fmt](report) for fmt in FILENAMES}
    paths = []
    for name, text in rendered.items():
        path = str(Path(directory) / name)
        write_atomic(path, text)
        paths.append(path)
    return paths


class _Group(click.Group):
    def main(self, *args, **kwargs):  # keep every failure a one-line error with exit code 2
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
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


@click.group(cls=_Group, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="shg-check")
def main() -> None:
    """Check multi-agency responses to possible self-harm groups against the
    partnership's chapter, and report the gaps.

    Records are special category personal data about children: reports name
    children only by their pseudonymous ids, and never print names or free text."""


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
                   "A gap is identified by response_id + rule (groups: group id or members + rule).")
@click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="YAML list of accepted gaps (response_id, rule, reason, approved_by, expires_on): shown as waived, "
                   "not counted for the exit code until they expire (relative to --as-of).")
@click.option("--fail-on", "fail_on", type=click.Choice(["high", "medium", "low", "never"]), default="low",
              show_default=True,
              help="Exit 1 only for an unwaived gap of at least this severity (low: any gap; never: gaps never fail).")
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
@click.option("--mapping", "mapping", type=click.Path(dir_okay=False), metavar="MAPPING.yaml",
              help="How to read .xlsx workbooks and folders of CSV tables (default: a folder's mapping.yaml, "
                   "else the tracker template's own mapping).")
def check_command(paths, as_of, fmt, output, output_dir, baseline_file, waivers_file, fail_on, key_file,
                  rules_dir, params_file, engine, incidents, mapping):
    """Check response records (files or folders of .json / .jsonl, .xlsx trackers, folders of CSV tables)
    and report gaps.

    \b
    Examples:
      shg-check check exports/ --as-of 2026-11-27 --format json --output report.json
      shg-check check exports/ --incidents feed.csv --as-of 2026-11-27
      shg-check check exports/ --output-dir reports/ --baseline last-night.json \\
          --waivers waivers.yaml --fail-on high --pseudonymise partnership.key

    The same inputs and --as-of give byte-identical reports in every format."""
    from .reporting import RENDERERS

    progress = _ProgressBar()
    try:
        report = check(paths, as_of, rules_dir, params_file, engine,
                       progress=progress if progress.enabled else None,
                       waivers_file=waivers_file, baseline_file=baseline_file, pseudonymise_key_file=key_file,
                       incidents=list(incidents) or None, **({"mapping": mapping} if mapping else {}))
    finally:
        progress.close()
    code = exit_code(report, fail_on)
    s = report.summary()
    counts = (f"{s['responses_checked']} responses, {report.gap_count} gaps, "
              f"{s['input_errors']} input errors")
    text = RENDERERS[fmt](report)
    if output_dir:
        write_output_dir(output_dir, report)
        click.echo(f"wrote {output_dir}/report.{{json,html,csv,md,junit.xml,txt}}: {counts}", err=True)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}: {counts}", err=True)
    elif not output_dir or click.get_current_context().get_parameter_source("fmt").name != "DEFAULT":
        click.echo(text, nl=False)
    sys.exit(code)


DETECT_EXIT_HELP = """\b
Exit codes:
  0  no possible group found and no input errors
  1  possible groups found (without response records, none is checked for escalation)
  2  usage or rule-configuration error (nothing checked)
  3  input errors (invalid rows reported; the others used)"""


@main.command("detect", epilog=DETECT_EXIT_HELP)
@click.argument("feeds", nargs=-1, required=True, type=click.Path())
@click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD",
              help="The date of the run: later episodes are left out, and dates are judged from it. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=str(DEFAULT_RULES),
              show_default=True, help="Folder of rules (detection rules in its detection/ folder) and parameters.yaml.")
@click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The partnership's parameter overrides (YAML: parameters: {name: value}).")
def detect_command(feeds, as_of, fmt, output, rules_dir, params_file):
    """Find possible self-harm groups in incident feeds (.csv, .json, .jsonl, or folders of them).

    No response records are read, so no group is checked for escalation: use
    `shg-check check RESPONSES --incidents FEED` for that.

    Example: shg-check detect feeds/ --as-of 2026-11-27 --format json --output groups.json"""
    from .reporting.groups_report import render_detection

    result = detect(feeds, as_of, rules_dir, params_file)
    text = render_detection(result, fmt)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}: {len(result.groups)} possible groups, "
                   f"{len(result.input_errors)} input errors", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_INPUT_ERRORS if result.input_errors else EXIT_GAPS if result.groups else EXIT_OK)


@main.command("validate", epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--mapping", "mapping", type=click.Path(dir_okay=False), metavar="MAPPING.yaml",
              help="How to read .xlsx workbooks and folders of CSV tables (default: the tracker template's).")
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
      shg-check rules lint          schema, ids, clauses, examples, codes (exit 1 on a problem)"""


def _rules_options(func):
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
    """Check the rule files: schema, unique ids, cited clauses, examples, known codes."""
    from .authoring import lint
    from .policy import load_policy

    policy = load_policy(Path(policy_file) if policy_file else None)
    problems = lint(Path(rules_dir), policy, Path(params_file) if params_file else None)
    for p in problems:
        click.echo(p)
    click.echo(f"{len(problems)} problem(s)" if problems else "rules lint: no problems", err=bool(problems))
    sys.exit(EXIT_GAPS if problems else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
