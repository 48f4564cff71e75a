"""The README's two set-up commands stay true to the packaging and to CI."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands():
    main_job, tests = _setup_commands()
    assert "python -m skddvi" in main_job and '".[plot]"' in main_job
    assert "python -m pytest" in tests and '".[test]"' in tests


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests = _setup_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci


def test_extras_named_in_the_readme_exist():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"^plot = \[", pyproject, re.M)
    assert re.search(r"^test = \[", pyproject, re.M)
