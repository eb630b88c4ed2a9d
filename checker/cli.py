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
  1  gaps found
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


def exit_code(report) -> int:
    if report.input_errors:
        return EXIT_INPUT_ERRORS
    if report.gap_count:
        return EXIT_GAPS
    return EXIT_OK


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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=str(DEFAULT_RULES),
              show_default=True, help="Folder of rule files and parameters.yaml.")
@click.option("--params", "params_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The partnership's parameter overrides (YAML: parameters: {name: value}).")
@click.option("--engine", type=click.Choice(["durable", "python"]), default="durable", show_default=True,
              help="durable-rules, or the plain-Python evaluation of the same rules (for comparison).")
@click.option("--incidents", "incidents", multiple=True, type=click.Path(), metavar="FEED",
              help="Incident feed (.csv, .json, .jsonl, or a folder of them); repeatable. Finds possible groups "
                   "and reports whether a response escalated each (report 'groups').")
def check_command(paths, as_of, fmt, output, rules_dir, params_file, engine, incidents):
    """Check response records (files or folders of .json / .jsonl) and report gaps.

    Example: shg-check check exports/ --as-of 2026-11-27 --incidents feed.csv --format json --output report.json"""
    from .reporting import RENDERERS

    report = check(paths, as_of, rules_dir, params_file, engine, incidents=list(incidents) or None)
    text = RENDERERS[fmt](report)
    if output:
        write_atomic(output, text)
        s = report.summary()
        click.echo(f"wrote {output}: {s['responses_checked']} responses, "
                   f"{report.gap_count} gaps, {s['input_errors']} input errors", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(exit_code(report))


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
def validate_command(paths):
    """Validate response records against the exchange format, without checking them.

    Prints one line per problem (file, record, JSON pointer, message); exit 3 if any."""
    loaded = load_responses(paths)
    for e in loaded.errors:
        where = f":{e.line}" if e.line else ""
        click.echo(f"{e.source}{where}: record {e.record or '-'}: {e.path or '(whole record)'}: {e.message}")
    click.echo(f"{len(loaded.records)} valid, {len(loaded.errors)} errors", err=True)
    sys.exit(EXIT_INPUT_ERRORS if loaded.errors else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
