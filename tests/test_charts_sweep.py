import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.sweep import search_figure, search_lr_figure, sweep_figure, sweep_live_figure
from engine.batched import SweepConfig, run_sweep
from engine.search import SearchConfig, run_search


@pytest.fixture(scope="module")
def sweep():
    rows = []
    result = run_sweep(SweepConfig(lrs=(0.01, 0.1, 1e4), steps=20, report_every=1),
                       on_report=lambda step, metrics: rows.append(metrics))
    return result, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def search():
    return run_search(SearchConfig(budget=4, steps=20, lr_range=(1e-2, 1e6), optimizer="sgd"))


def fully_valid(fig: go.Figure) -> go.Figure:
    """The figure itself, once plotly's full validation has passed on a copy (as in test_charts.py)."""
    checked = go.Figure(fig.to_dict())  # raises on any invalid property
    assert checked.layout.template.layout.plot_bgcolor == "white"
    for trace in fig.data:  # plotly's JSON would write NaN as null, so the arrays themselves are checked
        for name in ("x", "y", "customdata"):
            values = trace.to_plotly_json().get(name)
            if values is not None:
                present = [v for v in values if v is not None]  # None breaks a line on purpose
                assert np.isfinite(np.asarray(present, dtype=float)).all(), (fig.layout.title.text, trace.name, name)
    return fig


def test_the_sweep_chart_has_one_line_per_lr_and_marks_where_one_diverged(sweep):
    result, _ = sweep
    fig = fully_valid(sweep_figure(result))
    diverged_at = result.copies[2].diverged_at
    assert diverged_at > 1
    assert [t.name for t in fig.data] == ["lr = 0.01", "lr = 0.1", f"lr = 10000 (diverged at step {diverged_at})"]
    assert [len(t.x) for t in fig.data[:2]] == [20, 20]
    last = fig.data[2]
    assert max(last.x) < diverged_at and last.marker.symbol == "x" and list(last.marker.size)[-1] > 0
    assert fig.layout.yaxis.type == "log"


def test_the_live_sweep_chart_draws_each_reported_lr_and_copes_with_no_rows_yet(sweep):
    _, rows = sweep
    fig = fully_valid(sweep_live_figure(rows))
    assert [t.name for t in fig.data] == ["lr = 0.01", "lr = 0.1", "lr = 10000"]
    assert len(fig.data[0].x) == len(rows) and len(fig.data[2].x) == rows["loss_lr=10000"].notna().sum()
    assert fully_valid(sweep_live_figure(pd.DataFrame())).data == ()


def test_the_search_chart_puts_grid_and_random_side_by_side_on_one_colour_scale(search):
    fig = fully_valid(search_figure(search))
    names = [t.name for t in fig.data]
    assert names.count("diverged") >= 1 and "grid trials" in names and "random trials" in names
    assert {"best grid trial", "best random trial"} & set(names)
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]
    assert fig.layout.xaxis.type == fig.layout.xaxis2.type == "log"
    trials = [t for t in fig.data if t.name.endswith(" trials")]
    assert all(t.marker.coloraxis == "coloraxis" for t in trials)  # one shared scale
    assert {t.xaxis for t in trials} == {"x", "x2"}
    scored = search.trials["val_loss"].notna().sum()
    assert sum(len(t.x) for t in trials) == scored
    for method, best in search.best.items():
        if best is not None:
            ring = next(t for t in fig.data if t.name == f"best {method} trial")
            assert f"test accuracy {best.test_acc:.1%} (reported, not tuned)" in ring.hovertemplate


def test_no_sweep_or_search_chart_plots_nan_or_infinity(sweep, search):
    result, rows = sweep
    rows = rows.copy()
    rows.loc[rows.index[:2], "loss_lr=0.01"] = [np.inf, np.nan]
    history = result.history.copy()
    history.loc[history.index[:2], "train_loss"] = [np.inf, np.nan]
    fully_valid(sweep_live_figure(rows))
    fully_valid(sweep_figure(type(result)(**{**result.__dict__, "history": history})))
    trials = search.trials.copy()
    trials["val_loss"] = trials["val_loss"].astype(float)
    trials.loc[trials.index[0], "val_loss"] = np.inf  # a plain float column with an infinity: drawn as failed
    for figure in (search_figure, search_lr_figure):
        fully_valid(figure(type(search)(**{**search.__dict__, "trials": trials})))


def test_the_lr_chart_stacks_the_grids_trials_on_sqrt_budget_vertical_lines():
    result = run_search(SearchConfig(budget=9, steps=10))
    fig = fully_valid(search_lr_figure(result))
    assert [t.name for t in fig.data] == ["the grid's learning rates", "grid search", "random search"]
    guides, grid, random = fig.data
    assert len({x for x in guides.x if x is not None}) == 3
    assert len(np.unique(grid.x)) == 3 and len(grid.x) == 9 and len(np.unique(random.x)) == 9
    assert fig.layout.xaxis.type == "log"
