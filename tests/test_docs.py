"""The README's promise is what CI checks: .ci/run must run the README's test command."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    return [line for b in blocks for line in b.splitlines() if line.startswith("python3 -m venv")]


def test_readme_has_the_two_setup_commands() -> None:
    cmds = _commands()
    assert len(cmds) == 2
    assert cmds[0].endswith("newsclean run raw --out clean")
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_constraints_pin_the_known_breakages() -> None:
    pins = dict(line.split("==") for line in (REPO / "constraints.txt").read_text().split() if "==" in line)
    assert "lxml_html_clean" in pins or "lxml-html-clean" in pins
    assert tuple(int(x) for x in pins["fastapi"].split(".")[:2]) < (0, 151)
    assert pins["SQLAlchemy"].startswith("2.0")
