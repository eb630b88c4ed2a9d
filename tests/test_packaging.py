"""Rules and policy shipped inside the package: a wheel installed into a fresh venv runs on its own."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import bundled
from checker.api import DEFAULT_RULES
from checker.cli import main
from checker.policy import DEFAULT_POLICY, policy_path

from helpers import ROOT, SAMPLE

AS_OF = "2026-11-27"


def test_every_subpackage_of_checker_is_in_the_wheel():
    """pyproject.toml lists the packages (rules/ and policy/ are mapped into checker/_data): none is forgotten."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "checker").rglob("__init__.py")}
    assert found <= listed
    assert {"checker._data.rules", "checker._data.policy"} <= listed


def test_the_defaults_are_the_bundled_rules_and_chapter(monkeypatch):
    assert DEFAULT_RULES == bundled.rules_dir() == ROOT / "rules"  # a source checkout: the top of the repository
    assert DEFAULT_POLICY == bundled.policy_file() == policy_path() == ROOT / "policy" / "chapter.yaml"
    monkeypatch.setenv("SHG_CHECK_RULES", "/elsewhere/rules")
    monkeypatch.setenv("SHG_CHECK_POLICY", "/elsewhere/chapter.yaml")
    assert bundled.rules_dir() == Path("/elsewhere/rules")
    assert bundled.policy_file() == policy_path() == Path("/elsewhere/chapter.yaml")
    assert bundled.bundled_rules_dir() == ROOT / "rules"  # the environment names other defaults, not other bundles


def test_an_installed_package_finds_its_data_beside_its_code(tmp_path, monkeypatch):
    (tmp_path / "checker" / "_data" / "rules").mkdir(parents=True)
    (tmp_path / "checker" / "_data" / "policy").mkdir()
    monkeypatch.setattr(bundled, "_HERE", tmp_path / "checker")
    monkeypatch.delenv("SHG_CHECK_RULES", raising=False)
    monkeypatch.delenv("SHG_CHECK_POLICY", raising=False)
    assert bundled.rules_dir() == tmp_path / "checker" / "_data" / "rules"
    assert bundled.policy_file() == tmp_path / "checker" / "_data" / "policy" / "chapter.yaml"


def _run(args, cwd, env, check=True):
    out = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and out.returncode not in (0, 1):
        raise AssertionError(f"{args[0]} exited {out.returncode}: {out.stderr[-2000:]}")
    return out


@pytest.mark.slow
def test_a_wheel_installed_into_a_fresh_venv_checks_the_sample_with_no_options(tmp_path):
    """Build a wheel offline, install it (not editable) into a new venv, and run `shg-check check` on a copy
    of the sample from outside the repository with no option but --as-of: the findings are the editable run's."""
    env = {k: v for k, v in os.environ.items() if k not in ("SHG_CHECK_RULES", "SHG_CHECK_POLICY", "PYTHONPATH",
                                                            "COVERAGE_PROCESS_START")}
    env["PIP_NO_INDEX"] = "1"          # offline: nothing is downloaded
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    # 1. the wheel, built from a copy of the project (the checkout is left as it is)
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("checker", "rules", "policy"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, src],
         tmp_path, env)
    wheel, = dist.glob("shg_check-*.whl")

    # 2. a fresh venv with the wheel; its dependencies from this environment (a .pth line, not the checkout)
    venv = tmp_path / "fresh"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel], tmp_path, env)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     tmp_path, env).stdout.strip())
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    # 3. run from a folder outside the repository, on a copy of the sample
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(SAMPLE, elsewhere / "sample-export")
    where = _run([python, "-c", "import checker, checker.bundled as b; print(checker.__file__); "
                                "print(b.rules_dir()); print(b.policy_file())"], elsewhere, env).stdout.split()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(ROOT.resolve()), path
    assert Path(where[1]).name == "rules" and (Path(where[1]) / "vocabularies.yaml").is_file()
    assert Path(where[2]).is_file()

    installed = venv / "bin" / "shg-check"

    def editable(*args):
        """The same command from the checkout this test runs (in this process, through CliRunner, from the same
        folder, with the same environment): what the installed command must print."""
        with contextlib.chdir(elsewhere):
            result = CliRunner(env={"SHG_CHECK_RULES": None, "SHG_CHECK_POLICY": None}).invoke(main, args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"shg-check {' '.join(args)} raised {result.exception!r}") from result.exception
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    new = _run([installed, "check", "sample-export", "--as-of", AS_OF], elsewhere, env)
    old = editable("check", "sample-export", "--as-of", AS_OF)
    assert new.returncode == old.returncode == 1, new.stderr  # the sample has gaps
    assert new.stderr == old.stderr
    new_lines, old_lines = new.stdout.splitlines(), old.stdout.splitlines()
    assert new_lines[1].startswith("Rules: 48 rules, sha256 ") and new_lines[1].endswith(f"({where[1]})")
    assert new_lines[1].split(" (")[0] == old_lines[1].split(" (")[0]  # the same rules (digest), another place
    assert new_lines[:1] + new_lines[2:] == old_lines[:1] + old_lines[2:]
    assert "GAP [high]" in new.stdout

    as_json = [_run([installed, "check", "sample-export", "--as-of", AS_OF, "--format", "json"], elsewhere, env),
               editable("check", "sample-export", "--as-of", AS_OF, "--format", "json")]
    new_doc, old_doc = (json.loads(r.stdout) for r in as_json)
    assert new_doc["responses"] == old_doc["responses"] and new_doc["summary"] == old_doc["summary"]
    assert new_doc["ruleset"] == old_doc["ruleset"]

    # the bundled chapter too: the author tools work from the wheel
    coverage = [_run([installed, "rules", "coverage"], elsewhere, env), editable("rules", "coverage")]
    assert coverage[0].returncode == coverage[1].returncode and coverage[0].stdout == coverage[1].stdout
    assert "4-P2" in coverage[0].stdout
