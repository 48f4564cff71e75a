"""The main job, ``python -m skddvi``, and its figure helper (skddvi.plot)."""

import pytest

from skddvi.__main__ import main


def test_main_job_prints_metrics_and_writes_the_png(tmp_path, capsys):
    output = tmp_path / "digits.png"
    assert main(["--n-epochs", "2", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    for measure in ("trustworthiness", "10-NN accuracy", "KMeans(10) NMI", "ELBO"):
        assert measure in printed
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-epochs", "0"], "must be a positive int"),
        (["--output", "no/such/folder/x.png"], "its folder does not exist"),
        (["--posterior", "iaf"], "invalid choice"),
        (["--output", "."], "a folder"),
        (["--output", "digits"], "the extension must be one of"),
        (["--output", "digits.xyz"], "the extension must be one of"),
        (["--output", "digits.pgf"], "the extension must be one of"),  # needs LaTeX
        (["--device", "garbage"], "not a valid torch device"),
        (["--random-state", "-1"], "from 0 to 2**32 - 1"),
        (["--n-jobs", "0"], "non-zero"),
        (["--n-epochs", "abc"], "invalid positive int value"),
    ],
)
def test_main_job_refuses_bad_options_before_fitting(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_main_job_refuses_a_folder_it_cannot_write_before_fitting(tmp_path, monkeypatch, capsys):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(SystemExit):
        main(["--output", str(tmp_path / "x.png")])
    assert "its folder is not writable" in capsys.readouterr().err


def test_main_job_without_matplotlib_says_so_before_fitting(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)  # not importable
    with pytest.raises(SystemExit):
        main(["--n-epochs", "1"])
    assert "needs matplotlib: pip install 'skddvi[plot]'" in capsys.readouterr().err


def test_plot_embedding_draws_every_point_nan_labels_included():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import numpy as np

    from skddvi.plot import plot_embedding

    Z = np.random.default_rng(0).normal(size=(100, 2))
    labels = np.array([1.0, np.nan] * 50)
    ax = plot_embedding(Z, labels)
    drawn = sum(len(collection.get_offsets()) for collection in ax.collections)
    assert drawn == 100
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["1.0", "nan"]
    with pytest.raises(ValueError, match="labels has 99 values but the embedding 100 rows"):
        plot_embedding(Z, labels[:99])


def test_plot_embedding_with_mixed_labels_no_rows_and_zero_size():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import numpy as np

    from skddvi.plot import plot_embedding

    Z = np.random.default_rng(0).normal(size=(6, 2))
    ax = plot_embedding(Z, np.array([1, "a", None, 1, "a", None], dtype=object))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["None", "1", "a"]
    assert [len(c.get_offsets()) for c in ax.collections] == [2, 2, 2]
    assert len(plot_embedding(np.empty((0, 2)), np.empty(0)).collections) == 0
    plot_embedding(Z, np.arange(6) % 2, point_size=0)  # no division by zero


def test_plot_embedding_takes_tuple_labels_and_a_column_of_labels():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import numpy as np

    from skddvi.plot import plot_embedding

    Z = np.random.default_rng(0).normal(size=(6, 2))
    ax = plot_embedding(Z, [(i % 2, "x") for i in range(6)])  # one hashable label per row
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["(0, 'x')", "(1, 'x')"]
    assert len(plot_embedding(Z, [[i % 3] for i in range(6)]).collections) == 3
    ax = plot_embedding(Z, [(0, "x"), (1,), (0, "x"), (1,), (2, 3), (2, 3)])  # unequal lengths
    assert len(ax.collections) == 3
    ax = plot_embedding(Z, [(f"c{i % 2}",) for i in range(6)])  # a column, as tuples
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["c0", "c1"]
