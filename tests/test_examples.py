"""Every example runs (briefly trained) and writes what it promises."""

import re
import runpy
import warnings
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SKDDVI_QUICK", "1")
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        # e.g. GridSearchCV's "Scoring failed", which would leave NaN scores
        warnings.simplefilter("error", UserWarning)
        # ...but not pyparsing's deprecation notices (UserWarning and DeprecationWarning
        # both), which older matplotlib (3.6.0 to 3.10.0 at least) triggers on import
        warnings.filterwarnings("default", category=DeprecationWarning, module="matplotlib")
        runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert not re.search(r"\bnan\b", out, re.IGNORECASE)
    for line in out.splitlines():
        if line.startswith("wrote "):
            assert (tmp_path / line.split()[1]).stat().st_size > 1000


def test_examples_exist():
    assert {p.stem for p in EXAMPLES} >= {"quickstart", "pipeline_gridsearch", "mixture_clustering"}
