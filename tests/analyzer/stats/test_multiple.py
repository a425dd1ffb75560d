"""Benjamini–Hochberg: known answers, scipy, NaN handling and the step-up invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from trajdyn.analyzer.stats import benjamini_hochberg


def test_known_answer_from_the_definition() -> None:
    """m = 4: sorted 0.01, 0.03, 0.04, 0.5 → 4p/rank = 0.04, 0.06, 0.0533…, 0.5, then the running minimum from the top."""
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_nan_stays_nan_and_is_not_counted() -> None:
    q = benjamini_hochberg([0.01, math.nan, 0.04])
    assert math.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], [0.02, 0.04])  # m = 2, not 3
    assert np.isnan(benjamini_hochberg([math.nan, math.nan])).all()
    assert benjamini_hochberg([]).shape == (0,)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60))
@example([0.5, 0.5, 0.5])
@example([0.0, 1.0])
def test_agrees_with_scipy_and_keeps_the_step_up_invariants(p: list[float]) -> None:
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q, stats.false_discovery_control(p), rtol=1e-12, atol=0)
    arr = np.asarray(p)
    assert (q >= arr - 1e-15).all() and (q <= 1.0).all()
    order = np.argsort(arr, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all()  # q is monotone in p


def test_ties_share_one_q_value() -> None:
    q = benjamini_hochberg([0.02, 0.02, 0.02, 0.9])
    assert q[0] == q[1] == q[2] == pytest.approx(0.02 * 4 / 3)
