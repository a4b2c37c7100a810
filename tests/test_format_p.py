"""p-values below the printed precision read '<0.001', never '0.000' (a p-value is never zero)."""

from __future__ import annotations

import pytest

from research_lib.analysis import to_latex
from research_lib.examples import example_result
from research_lib.tables import format_p


@pytest.mark.parametrize(("p", "text"), [(0.0123, "0.012"), (0.001, "0.001"), (0.00099, "<0.001"), (0.0, "<0.001"),
                                         (1.0, "1.000"), (float("nan"), "nan"), (None, "nan")])
def test_format_p(p, text) -> None:
    assert format_p(p) == text


def test_summary_and_latex_show_small_p_as_a_bound() -> None:
    res = example_result()
    p = res.tests["0,0"]["crude_dependence"].pvalue
    assert p < 0.0005  # the example's crude-dependence p rounds to 0.000 at three decimals
    text = str(res.summary())
    assert "(<0.001)" in text and "(0.000)" not in text
    tex = to_latex(res, tests=["crude_dependence"])
    assert "($<$0.001)" in tex and "(0.000)" not in tex
