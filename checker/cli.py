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
from .api import DEFAULT_RULES, check
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
def check_command(paths, as_of, fmt, output, rules_dir, params_file, engine):
    """Check response records (files or folders of .json / .jsonl) and report gaps.

    Example: shg-check check exports/ --as-of 2026-11-27 --format json --output report.json"""
    from .reporting import RENDERERS

    report = check(paths, as_of, rules_dir, params_file, engine)
    text = RENDERERS[fmt](report)
    if output:
        write_atomic(output, text)
        s = report.summary()
        click.echo(f"wrote {output}: {s['responses_checked']} responses, "
                   f"{report.gap_count} gaps, {s['input_errors']} input errors", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(exit_code(report))


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
    from .authoring import load_policy
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
    from .authoring import lint, load_policy

    policy = load_policy(Path(policy_file) if policy_file else None)
    problems = lint(Path(rules_dir), policy, Path(params_file) if params_file else None)
    for p in problems:
        click.echo(p)
    click.echo(f"{len(problems)} problem(s)" if problems else "rules lint: no problems", err=bool(problems))
    sys.exit(EXIT_GAPS if problems else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
