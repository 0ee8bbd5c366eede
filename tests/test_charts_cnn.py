import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts import cnn as charts
from engine import cnn
from engine.conv_arithmetic import cell
from engine.images import KERNELS, apply_kernel, digits, photo


def assert_only_finite_numbers_but_the_gaps(fig: go.Figure) -> None:
    """Every x, y, z and customdata is finite, except the blank gaps between a mosaic's tiles (NaN: drawn empty)."""
    for trace in fig.data:
        json = trace.to_plotly_json()
        gaps = None
        if json.get("hoverongaps") is False:  # a mosaic: customdata holds each pixel's tile, −1 in the gaps
            which = np.asarray(json["customdata"])
            gaps = (which[..., -1] if which.ndim == 3 else which) == -1
        for name in ("x", "y", "z", "customdata"):
            values = json.get(name)
            if values is None or np.asarray(values).dtype.kind in "US":  # absent, or categories (names)
                continue
            values = np.asarray(values, dtype=float)
            finite = np.isfinite(values)
            if gaps is not None and name in ("z", "customdata"):
                mask = gaps if name == "z" or values.ndim == 2 else gaps[..., None]
                finite = finite | np.broadcast_to(mask, finite.shape)
            assert finite.all(), (fig.layout.title.text, name)


@pytest.fixture(scope="module")
def results():
    trained = cnn.run_train(cnn.CNNConfig(steps=10, test_images=50))
    return {
        "train": trained,
        "inside": cnn.look_inside(trained.config, trained.weights, digits().X_test[0]),
        "versus": cnn.run_versus(cnn.VersusConfig(cnn=cnn.CNNConfig(steps=5, test_images=50), hidden=8)),
        "transfer": cnn.run_transfer(cnn.TransferConfig(pretrain_steps=5, shots=2, steps=3, test_images=50)),
        "augment": cnn.run_augment(cnn.AugmentConfig(train_size=20, steps=3, test_images=50)),
    }


def test_a_mosaic_lays_tiles_out_with_gaps_and_knows_which_tile_each_pixel_is():
    tiles = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    picture, which, (rows, cols) = charts.mosaic(tiles, columns=3)
    assert (rows, cols) == (2, 3) and picture.shape == (2 * 2 + 1, 3 * 3 + 2)
    np.testing.assert_array_equal(picture[3:5, 4:7], tiles[4])
    assert np.isnan(picture[2]).all() and which[3, 4] == 5 and which[3, 8] == -1  # the gap row; no sixth tile


def test_feature_maps_are_one_tile_per_map_each_scaled_to_its_own_range(results):
    maps = results["inside"].maps[0]["relu"]  # (8, 28, 28)
    fig = charts.maps_figure(maps, "layer 1", columns=4)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (2 * 28 + 1, 4 * 28 + 3)
    assert np.nanmax(z) <= 1 and np.nanmin(z) >= 0
    values = np.asarray(fig.data[0].customdata)[..., 0]
    np.testing.assert_allclose(values[:28, :28], maps[0])  # the hover shows the real values


def test_filters_put_each_filter_on_a_row_with_a_tile_per_input_channel(results):
    kernels = cnn.filters(results["train"].weights, 1)  # (16, 8, 5, 5)
    z = np.asarray(charts.filters_figure(kernels, "layer 2").data[0].z, dtype=float)
    assert z.shape == (16 * 6 - 1, 8 * 6 - 1)
    tile = kernels[1, 2] / np.abs(kernels[1, 2]).max()
    np.testing.assert_allclose(z[6:11, 12:17], tile)  # filter 2, channel 3, scaled to [−1, 1]


def test_the_live_figure_shows_losses_and_accuracy_and_copes_with_no_rows(results):
    fig = charts.live_figure(results["train"].history)
    assert [t.name for t in fig.data] == ["training batch loss", "test loss", "test accuracy"]
    assert fig.data[2].yaxis == "y2"
    assert charts.live_figure(pd.DataFrame()).data == ()


def test_the_runs_figure_draws_one_line_per_run_against_its_own_steps(results):
    fig = charts.runs_figure(results["transfer"].history, "run", "t")
    assert [t.name for t in fig.data] == list(cnn.TRANSFER_RUNS.values())
    assert list(fig.data[1].x) == [1, 3]  # run_step: each of the three ways starts at 1
    assert charts.runs_figure(pd.DataFrame(), "run", "t").data == ()


def test_the_cell_figure_outlines_the_window_the_cell_reads():
    image = np.random.default_rng(0).random((8, 8))
    one = cell(image, np.ones((3, 3)), 2, 3, stride=2, before=1, after=1)
    fig = charts.cell_figure(image, one.rows, one.cols, one.output, 2, 3, (1, 1))
    window = fig.layout.shapes[0]
    assert (window.x0, window.x1, window.y0, window.y1) == (4.5, 7.5, 2.5, 5.5)  # columns 5-7, rows 3-5
    assert np.asarray(fig.data[0].z).shape == (10, 10)  # the input with its padding


def test_every_figure_passes_plotlys_full_validation_and_plots_only_finite_numbers(results):
    trained, inside = results["train"], results["inside"]
    image = digits().X_test[0]
    one = cell(image / 255, np.ones((3, 3)), 4, 4)
    demo = cnn.channel_demo(photo(16))
    figures = [
        charts.digit_figure(image, "d"), charts.maps_figure(inside.maps[1]["conv"], "m", signed=True),
        charts.filters_figure(cnn.filters(trained.weights, 0), "f"), charts.live_figure(trained.history),
        charts.probabilities_figure(inside.probabilities), charts.confusion_figure(trained.confusion),
        charts.cell_figure(image / 255, one.rows, one.cols, one.output, 4, 4, (0, 0)),
        charts.fields_figure(image, [(n, s, c, c) for n, s, c, _ in cnn.field_boxes(trained.config)]),
        charts.rgb_figure(photo(), (3, 4), 4), charts.channels_figure(demo.names, demo.partial, demo.maps),
        charts.kernels_figure({k: apply_kernel(image / 255, v[1]) for k, v in KERNELS.items()},
                              {k: v[0] for k, v in KERNELS.items()}),
        charts.classic_figure(cnn.classic_table()), charts.samples_figure(results["augment"].samples),
        charts.runs_figure(results["versus"].history, "model", "v"),
        charts.runs_figure(results["augment"].history, "run", "a"),
    ]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"
        assert_only_finite_numbers_but_the_gaps(fig)
