"""Figures of the CNN page: digits, feature maps and filters as mosaics, training curves, convolution arithmetic,
receptive fields, channels, and the comparisons."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure

# Colour scales written out, so that no renderer's idea of a named scale's direction can flip them.
GRAY = [[0, "black"], [1, "white"]]  # the digits: white ink on black, as the network sees them
SIGNED = [[0, "rgb(33,102,172)"], [0.5, "rgb(247,247,247)"], [1, "rgb(178,24,43)"]]  # negative blue, 0 white, red
COUNTS = [[0, "white"], [1, "rgb(8,48,107)"]]
CHANNEL_SCALES = ([[0, "black"], [1, "red"]], [[0, "black"], [1, "lime"]], [[0, "black"], [1, "blue"]])
GAP = 1  # pixels of blank between tiles of a mosaic


def _finite(values) -> np.ndarray:
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)


def _image_axes(**extra) -> dict:
    """Square pixels, row 0 at the top, no ticks."""
    return dict(xaxis=dict(visible=False, constrain="domain", **extra.get("x", {})),
                yaxis=dict(visible=False, autorange="reversed", scaleanchor="x", constrain="domain",
                           **extra.get("y", {})))


def mosaic(tiles: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tiles (N, h, w) laid out `columns` wide with blank gaps: the picture and, per pixel, its tile and position."""
    tiles = np.asarray(tiles, dtype=float)
    n, h, w = tiles.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    out = np.full((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP), np.nan)
    which = np.full(out.shape, -1)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = tile
        which[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = i + 1
    return out, which, np.array([rows, columns])


def digit_figure(image: np.ndarray, title: str, height: int = 260, signed: bool = False) -> go.Figure:
    """One image as a heatmap of its values (hover shows them)."""
    z = _finite(image)
    scale = dict(colorscale=SIGNED, zmid=0) if signed else dict(colorscale=GRAY)
    trace = dict(type="heatmap", z=z, showscale=False, hovertemplate="row %{y}, column %{x}: %{z:.3g}<extra></extra>",
                 **scale)
    return figure([trace], title, height=height, margin=dict(l=5, r=5, t=40, b=5), **_image_axes())


def maps_figure(maps: np.ndarray, title: str, columns: int = 8, signed: bool = False, label: str = "map") -> go.Figure:
    """Several maps (N, h, w) as one mosaic; each tile on its own colour range, so faint maps still show."""
    maps = _finite(maps)
    lows = maps.min(axis=(1, 2), keepdims=True)
    highs = maps.max(axis=(1, 2), keepdims=True)
    if signed:
        reach = np.maximum(np.abs(lows), np.abs(highs))
        reach[reach == 0] = 1
        shown = maps / reach  # each tile in [−1, 1]
    else:
        span = highs - lows
        span[span == 0] = 1
        shown = (maps - lows) / span  # each tile in [0, 1]
    picture, which, (rows, cols) = mosaic(shown, columns)
    values, _, _ = mosaic(maps, columns)
    scale = dict(colorscale=SIGNED, zmid=0) if signed else dict(colorscale="Viridis")
    trace = dict(type="heatmap", z=picture, customdata=np.dstack([values, which]), showscale=False, hoverongaps=False,
                 hovertemplate=f"{label} %{{customdata[1]}}<br>value %{{customdata[0]:.3g}}<extra></extra>", **scale)
    tile = maps.shape[1]
    height = int(min(900, max(160, rows * 900 / max(cols, 1) * tile / max(maps.shape[2], 1) * 0.9))) + 50
    return figure([trace], title, height=height, margin=dict(l=5, r=5, t=40, b=5), **_image_axes())


def filters_figure(kernels: np.ndarray, title: str) -> go.Figure:
    """A conv layer's kernels (F, C, k, k): one row per filter, one tile per input channel it spans."""
    f, c, k, _ = kernels.shape
    tiles = np.asarray(kernels).reshape(f * c, k, k)
    return maps_figure(tiles, title, columns=c if c > 1 else min(f, 8), signed=True, label="filter × channel")


def live_figure(rows: pd.DataFrame) -> go.Figure:
    """Training so far: the loss on the left axis, test accuracy on the right."""
    traces = []
    if not rows.empty and "batch_loss" in rows:
        x = rows["step"].to_numpy()
        traces.append(dict(type="scatter", x=x, y=_finite(rows["batch_loss"]), name="training batch loss",
                           line=dict(color=COLORS[0])))
        if "test_loss" in rows:
            traces.append(dict(type="scatter", x=x, y=_finite(rows["test_loss"]), name="test loss",
                               line=dict(color=COLORS[1])))
        if "test_acc" in rows:
            traces.append(dict(type="scatter", x=x, y=_finite(rows["test_acc"]), name="test accuracy", yaxis="y2",
                               line=dict(color=COLORS[2], dash="dot")))
    return figure(traces, "Loss and test accuracy", xaxis=axis("step"),
                  yaxis=axis("cross-entropy", rangemode="tozero"),
                  yaxis2=dict(title=dict(text="test accuracy"), overlaying="y", side="right", range=[0, 1.02],
                              dtick=0.2, tickformat=".0%", showgrid=False))


def runs_figure(history: pd.DataFrame, by: str, title: str, y: str = "test_acc") -> go.Figure:
    """One line per run against its own steps: test accuracy (default) or a loss."""
    traces = []
    if not history.empty and y in history:
        x_col = "run_step" if "run_step" in history else "step"
        for i, key in enumerate(dict.fromkeys(history[by])):
            part = history[history[by] == key]
            traces.append(dict(type="scatter", mode="lines", x=part[x_col].to_numpy(), y=_finite(part[y]),
                               name=str(key), line=dict(color=COLORS[i % len(COLORS)])))
    yaxis = axis("test accuracy", tickformat=".0%", range=[0, 1.02]) if y == "test_acc" else \
        axis("loss", rangemode="tozero")
    return figure(traces, title, xaxis=axis("step"), yaxis=yaxis)


def probabilities_figure(probabilities: np.ndarray) -> go.Figure:
    p = _finite(probabilities)
    colors = [COLORS[1] if i == int(p.argmax()) else COLORS[0] for i in range(len(p))]
    trace = dict(type="bar", x=[str(i) for i in range(len(p))], y=p, marker=dict(color=colors),
                 hovertemplate="digit %{x}: %{y:.1%}<extra></extra>")
    return figure([trace], "Predicted probabilities", height=260,
                  xaxis=axis("digit", type="category"), yaxis=axis("probability", range=[0, 1], tickformat=".0%"))


def confusion_figure(confusion: np.ndarray) -> go.Figure:
    """Test images by true digit (rows) and predicted digit (columns)."""
    z = np.asarray(confusion)
    trace = dict(type="heatmap", z=z, x=[str(i) for i in range(10)], y=[str(i) for i in range(10)],
                 colorscale=COUNTS, showscale=False, text=z, texttemplate="%{text}",
                 hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>")
    return figure([trace], "Test images: true digit × predicted digit", height=360,
                  xaxis=axis("predicted", type="category"), yaxis=axis("true", type="category", autorange="reversed"))


def cell_figure(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, output: np.ndarray, row: int, col: int,
                pad: tuple[int, int]) -> go.Figure:
    """The padded input with the kernel's window outlined, and the output map with the cell it makes."""
    before, after = pad
    padded = np.pad(_finite(image), ((before, after), (before, after)))
    shift = before
    traces = [dict(type="heatmap", z=padded, colorscale=GRAY, showscale=False, xaxis="x", yaxis="y",
                   x=np.arange(padded.shape[1]) - shift, y=np.arange(padded.shape[0]) - shift,
                   hovertemplate="input row %{y}, column %{x}: %{z:.3g}<extra></extra>"),
              dict(type="heatmap", z=_finite(output), colorscale=SIGNED, zmid=0, showscale=False,
                   xaxis="x2", yaxis="y2", hovertemplate="output row %{y}, column %{x}: %{z:.3g}<extra></extra>")]
    dots = dict(type="scatter", mode="markers", x=np.repeat(cols, len(rows)), y=np.tile(rows, len(cols)),
                marker=dict(size=5, color=COLORS[4]), xaxis="x", yaxis="y", showlegend=False, hoverinfo="skip")
    traces.append(dots)
    shapes = [dict(type="rect", xref="x", yref="y", x0=cols.min() - 0.5, x1=cols.max() + 0.5, y0=rows.min() - 0.5,
                   y1=rows.max() + 0.5, line=dict(color=COLORS[4], width=2)),
              dict(type="rect", xref="x2", yref="y2", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
                   line=dict(color=COLORS[4], width=3)),
              dict(type="rect", xref="x", yref="y", x0=-0.5, x1=image.shape[1] - 0.5, y0=-0.5, y1=image.shape[0] - 0.5,
                   line=dict(color=COLORS[0], width=1, dash="dot"))]
    layout = dict(xaxis=dict(domain=[0, 0.48], visible=False, constrain="domain"),
                  yaxis=dict(autorange="reversed", scaleanchor="x", visible=False, constrain="domain"),
                  xaxis2=dict(domain=[0.52, 1], visible=False, constrain="domain"),
                  yaxis2=dict(autorange="reversed", scaleanchor="x2", visible=False, constrain="domain"),
                  shapes=shapes)
    return figure(traces, "Input (padding outside the dotted line) and the output map", height=380, **layout)


def fields_figure(image: np.ndarray, boxes: list[tuple[str, int, float, float]]) -> go.Figure:
    """The input digit with each layer's receptive field (name, size, centre row, centre column) outlined."""
    traces = [dict(type="heatmap", z=_finite(image), colorscale=GRAY, showscale=False,
                   hovertemplate="row %{y}, column %{x}<extra></extra>")]
    n = image.shape[0]
    reach = max([n] + [size for _, size, _, _ in boxes]) / 2 + 1  # the largest field may spill past the image
    for i, (name, size, cy, cx) in enumerate(boxes):
        half = size / 2
        x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
        traces.append(dict(type="scatter", mode="lines", x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0],
                           name=f"{name}: {size} × {size}", line=dict(color=COLORS[i % len(COLORS)], width=2),
                           hoverinfo="name"))
    return figure(traces, "Receptive field of the centre unit of each layer", height=420, legend="right",
                  xaxis=dict(visible=False, range=[n / 2 - 0.5 - reach, n / 2 - 0.5 + reach], constrain="domain"),
                  yaxis=dict(visible=False, range=[n / 2 - 0.5 + reach, n / 2 - 0.5 - reach], scaleanchor="x",
                             constrain="domain"))


def rgb_figure(rgb: np.ndarray, patch: tuple[int, int], size: int) -> go.Figure:
    """The colour image, then its red, green and blue channels as 8-bit grey levels; the patch outlined."""
    r0, c0 = patch
    traces = [dict(type="image", z=np.asarray(rgb), xaxis="x", yaxis="y", hovertemplate="row %{y}, column %{x}: "
                   "R %{z[0]} G %{z[1]} B %{z[2]}<extra></extra>")]
    layout, shapes = {}, []
    names = ("red", "green", "blue")
    for i in range(4):
        s = "" if i == 0 else str(i + 1)
        layout[f"xaxis{s}"] = dict(domain=[i * 0.25 + 0.01, i * 0.25 + 0.24], visible=False, constrain="domain")
        layout[f"yaxis{s}"] = dict(autorange="reversed", scaleanchor=f"x{s}", visible=False, constrain="domain")
        if i:
            traces.append(dict(type="heatmap", z=np.asarray(rgb)[..., i - 1], colorscale=CHANNEL_SCALES[i - 1], zmin=0,
                               zmax=255, showscale=False, xaxis=f"x{s}", yaxis=f"y{s}",
                               hovertemplate=f"{names[i - 1]} %{{z}}<extra></extra>"))
        shapes.append(dict(type="rect", xref=f"x{s}", yref=f"y{s}", x0=c0 - 0.5, x1=c0 + size - 0.5, y0=r0 - 0.5,
                           y1=r0 + size - 0.5, line=dict(color="#ff7f0e", width=2)))
    annotations = [dict(text=f"<b>{t}</b>", x=i * 0.25 + 0.01, y=1.0, xref="paper", yref="paper", showarrow=False,
                        xanchor="left", yanchor="bottom") for i, t in enumerate(("RGB", "R", "G", "B"))]
    return figure(traces, "", height=300, shapes=shapes, annotations=annotations, **layout)


def channels_figure(names: list[str], partial: np.ndarray, maps: np.ndarray) -> go.Figure:
    """Each filter (row): its share from R, G and B, and their sum, the one map it makes."""
    f = partial.shape[0]
    traces, layout, annotations = [], {}, []
    titles = ("from R", "from G", "from B", "sum + bias = the filter's one map")
    for r in range(f):
        reach = float(np.abs(_finite(partial[r])).max()) or 1.0
        for c in range(4):
            k = r * 4 + c
            s = "" if k == 0 else str(k + 1)
            z = _finite(partial[r, c] if c < 3 else maps[r])
            traces.append(dict(type="heatmap", z=z, colorscale=SIGNED, zmin=-reach, zmax=reach,
                               showscale=False, xaxis=f"x{s}", yaxis=f"y{s}",
                               hovertemplate="%{z:.3f}<extra></extra>"))
            y1 = 1 - r / f
            layout[f"xaxis{s}"] = dict(domain=[c * 0.25 + 0.01, c * 0.25 + 0.24], visible=False, constrain="domain")
            layout[f"yaxis{s}"] = dict(domain=[y1 - 1 / f + 0.04, y1 - 0.16], autorange="reversed",
                                       scaleanchor=f"x{s}", visible=False, constrain="domain")
            if c == 0:
                annotations.append(dict(text=f"<b>filter {r + 1}: {names[r]}</b>", x=0, y=y1, xref="paper",
                                        yref="paper", showarrow=False, xanchor="left", yanchor="top"))
            annotations.append(dict(text=titles[c], x=c * 0.25 + 0.01, y=y1 - 0.15, xref="paper", yref="paper",
                                    showarrow=False, xanchor="left", yanchor="bottom", font=dict(size=11)))
    return figure(traces, "", height=320 * f, annotations=annotations, margin=dict(l=5, r=5, t=20, b=5), **layout)


def kernels_figure(results: dict[str, np.ndarray], labels: dict[str, str]) -> go.Figure:
    """The image filtered by each hand-made kernel, side by side."""
    names = list(results)
    traces, layout, annotations = [], {}, []
    n = max(len(names), 1)
    for i, name in enumerate(names):
        s = "" if i == 0 else str(i + 1)
        z = _finite(results[name])
        reach = float(np.abs(z).max()) or 1.0
        traces.append(dict(type="heatmap", z=z, colorscale=SIGNED, zmin=-reach, zmax=reach,
                           showscale=False, xaxis=f"x{s}", yaxis=f"y{s}", hovertemplate="%{z:.3g}<extra></extra>"))
        layout[f"xaxis{s}"] = dict(domain=[i / n + 0.005, (i + 1) / n - 0.005], visible=False, constrain="domain")
        layout[f"yaxis{s}"] = dict(autorange="reversed", scaleanchor=f"x{s}", visible=False, constrain="domain")
        annotations.append(dict(text=labels[name], x=i / n, y=1.0, xref="paper", yref="paper", showarrow=False,
                                xanchor="left", yanchor="bottom", font=dict(size=11)))
    return figure(traces, "", height=260, annotations=annotations, margin=dict(l=5, r=5, t=40, b=5), **layout)


def classic_figure(table: pd.DataFrame, extra: pd.DataFrame | None = None) -> go.Figure:
    """Parameters of each architecture in its conv and in its dense layers, on a log scale."""
    frame = table if extra is None else pd.concat([extra, table], ignore_index=True)
    names = frame["architecture"].tolist()
    traces = [dict(type="bar", y=names, x=frame["in conv layers"].to_numpy(), name="conv layers", orientation="h",
                   marker=dict(color=COLORS[0])),
              dict(type="bar", y=names, x=frame["in dense layers"].to_numpy(), name="dense layers", orientation="h",
                   marker=dict(color=COLORS[1]))]
    return figure(traces, "Parameters (log scale)", height=100 + 60 * len(names), barmode="group",
                  xaxis=axis("parameters", type="log", exponentformat="SI"), yaxis=dict(autorange="reversed"))


def samples_figure(samples: np.ndarray) -> go.Figure:
    """A training digit and its augmented copies, in one row."""
    picture, which, _ = mosaic(np.asarray(samples, dtype=float), len(samples))
    trace = dict(type="heatmap", z=picture, colorscale=GRAY, showscale=False, hoverongaps=False, customdata=which,
                 hovertemplate="copy %{customdata}: %{z:.0f}<extra></extra>")
    return figure([trace], "The original (left), then seven random augmented copies", height=190,
                  margin=dict(l=5, r=5, t=40, b=5), **_image_axes())
