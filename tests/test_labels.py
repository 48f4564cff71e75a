"""Tests of the choice between the two classifiers of a fit with labels."""

import numpy as np
import pytest
import scipy.sparse as sp

from skddvi._labels import (
    MAX_ROWS,
    _left_out_map_accuracy,
    label_source,
    map_classifier,
    selection_rows,
)


def test_left_out_vote_by_hand():
    # Rows 0-2 of class 0 near 0, rows 3-5 of class 1 near 10; row 6 (class 1)
    # sits beside class 0, whose rows outvote the far ones (weights 1 / 1.1 /
    # 1.2 against 1 / 11 ...), while it weighs too little to turn theirs.
    Z = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [-1.0]])
    codes = np.array([0, 0, 0, 1, 1, 1, 1])
    # k = min(10, 6) = 6 other rows; inverse-distance weights.
    assert _left_out_map_accuracy(Z, codes) == pytest.approx(6 / 7)


def test_left_out_vote_lets_a_duplicate_outvote_the_rest():
    # Row 0 has a duplicate of another class at distance 0: only it votes.
    Z = np.array([[0.0], [0.0], [0.1], [0.2]])
    codes = np.array([0, 1, 0, 0])
    # Rows 0 and 1 each take the other's class; rows 2 and 3 are right.
    assert _left_out_map_accuracy(Z, codes) == pytest.approx(2 / 4)


def _classes(n_per_class: int, seed: int):
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(3), n_per_class)
    informative = codes[:, None] * 4.0 + rng.normal(size=(len(codes), 5))
    return codes, informative, rng


def test_a_map_that_separates_the_classes_is_chosen():
    codes, informative, rng = _classes(20, 0)
    X = rng.normal(size=(len(codes), 5))  # the data say nothing linear about the classes
    assert label_source(informative[:, :2], X, codes, 0) == "embedding"


def test_the_encoder_is_chosen_where_the_data_separate_the_classes_and_the_map_does_not():
    codes, informative, rng = _classes(20, 1)
    Z = rng.normal(size=(len(codes), 2))  # a map that ignores the classes
    assert label_source(Z, informative, codes, 0) == "encoder"
    assert label_source(Z, sp.csr_matrix(informative), codes, 0) == "encoder"


def test_ties_and_untestable_labels_go_to_the_map():
    codes, informative, _ = _classes(20, 2)
    assert label_source(informative[:, :2], informative, codes, 0) == "embedding"  # both 1.0
    one_class = np.zeros(10, dtype=int)
    assert label_source(informative[:10, :2], informative[:10], one_class, 0) == "embedding"
    singleton = np.r_[np.zeros(9, dtype=int), 1]  # one class left with two rows or more
    assert label_source(informative[:10, :2], informative[:10], singleton, 0) == "embedding"


def test_a_class_of_one_row_does_not_decide_the_choice():
    """The comparison reads the classes of two rows or more (a class of one
    row used to hand the choice to the map whatever the others said)."""
    codes, informative, rng = _classes(20, 1)
    Z = rng.normal(size=(len(codes), 2))
    codes = np.r_[codes, 3]  # one more class, one row
    X = np.r_[informative, informative[:1]]
    Z = np.r_[Z, Z[:1]]
    assert label_source(Z, X, codes, 0) == "encoder"


def test_selection_rows_are_the_labelled_rows_at_most_max_rows():
    codes = np.r_[np.full(5, -1), np.arange(10) % 3]
    np.testing.assert_array_equal(selection_rows(codes, 0), np.arange(5, 15))
    many = np.r_[np.full(10, -1), np.arange(MAX_ROWS + 500) % 4]
    rows = selection_rows(many, 0)
    assert len(rows) == MAX_ROWS and np.all(many[rows] >= 0) and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, selection_rows(many, 0))


def test_map_classifier_votes_by_inverse_distance():
    Z = np.array([[0.0], [1.0], [3.0]])
    classifier = map_classifier(Z, np.array([0, 1, 1]))
    assert classifier.n_neighbors == 3
    # From 0.5: weights 2 (class 0) against 2 + 0.4 (class 1).
    np.testing.assert_allclose(classifier.predict_proba([[0.5]]), [[2 / 4.4, 2.4 / 4.4]])
