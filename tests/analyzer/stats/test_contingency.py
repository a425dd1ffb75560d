"""Fisher's exact test against scipy and known values."""

from __future__ import annotations

import pytest
from scipy import stats

from trajdyn.analyzer.stats import fisher_exact_p


def test_known_values() -> None:
    assert fisher_exact_p(3, 1, 1, 3) == pytest.approx(0.4857142857)  # the tea-tasting table
    assert fisher_exact_p(10, 0, 0, 10) == pytest.approx(1.0825088224e-05)
    assert fisher_exact_p(1, 1, 1, 1) == pytest.approx(1.0)
    assert fisher_exact_p(0, 0, 0, 0) == pytest.approx(1.0)


def test_agrees_with_scipy_on_every_small_table() -> None:
    for r1 in range(0, 13):
        for r2 in range(0, 13):
            for a in range(r1 + 1):
                for c in range(r2 + 1):
                    want = stats.fisher_exact([[a, r1 - a], [c, r2 - c]]).pvalue
                    assert fisher_exact_p(a, r1 - a, c, r2 - c) == pytest.approx(want, rel=1e-12)
