"""Figures for the optimizer race: trajectories over the loss contours, and loss against step."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.surfaces import RaceResult, Track, surface_value

FLOOR = 1e-12  # losses are drawn on a log axis; an exact 0 is drawn here


def _contour(result: RaceResult, xaxis: str = "x", yaxis: str = "y", show_scale: bool = True) -> dict:
    xs, ys, loss = result.grid
    levels = np.log10(loss - loss.min() + 1e-3)  # log levels show the flat floor and the steep walls alike
    return dict(type="contour", x=xs, y=ys, z=levels, xaxis=xaxis, yaxis=yaxis, colorscale="Greys", reversescale=True,
                opacity=0.55, ncontours=25, showscale=show_scale, hoverinfo="skip",
                contours=dict(coloring="fill", showlines=True),
                colorbar=dict(title=dict(text="log₁₀ loss"), thickness=12, len=0.8))


def _path(track: Track, color: str, xaxis: str = "x", yaxis: str = "y", legend: bool = True) -> list[dict]:
    name = track.name + (f": diverged at step {track.diverged_at}" if track.diverged_at else "")
    traces = [dict(type="scatter", x=track.position[:, 0], y=track.position[:, 1], mode="lines+markers", name=name,
                   xaxis=xaxis, yaxis=yaxis, legendgroup=track.name, showlegend=legend,
                   line=dict(color=color, width=2), marker=dict(size=3, color=color),
                   hovertemplate="step %{customdata}<br>(%{x:.3f}, %{y:.3f})<extra>" + track.name + "</extra>",
                   customdata=np.arange(len(track.position)))]
    if track.diverged_at:  # where it was last seen before it blew up
        traces.append(dict(type="scatter", x=track.position[-1:, 0], y=track.position[-1:, 1], mode="markers",
                           xaxis=xaxis, yaxis=yaxis, legendgroup=track.name, showlegend=False, hoverinfo="skip",
                           marker=dict(symbol="x", size=12, color=color, line=dict(width=2))))
    return traces


def _landmarks(result: RaceResult, xaxis: str = "x", yaxis: str = "y", legend: bool = True) -> list[dict]:
    start, (mx, my) = result.config.start, result.minimum
    return [dict(type="scatter", x=[start[0]], y=[start[1]], mode="markers", name="start", xaxis=xaxis, yaxis=yaxis,
                 showlegend=legend, marker=dict(symbol="circle-open", size=14, color="black", line=dict(width=2))),
            dict(type="scatter", x=[mx], y=[my], mode="markers", name="global minimum", xaxis=xaxis, yaxis=yaxis,
                 showlegend=legend, marker=dict(symbol="star", size=14, color="gold", line=dict(color="black",
                                                                                                width=1)))]


def _span(result: RaceResult) -> tuple[list[float], list[float]]:
    xs, ys, _ = result.grid
    return [float(xs[0]), float(xs[-1])], [float(ys[0]), float(ys[-1])]


def race_figure(result: RaceResult, title: str = "Every optimizer from the same start") -> go.Figure:
    """The loss contours with every optimizer's path; a diverged path ends in a cross."""
    traces = [_contour(result)]
    for i, track in enumerate(result.tracks):
        traces += _path(track, COLORS[i % len(COLORS)])
    traces += _landmarks(result)
    x_range, y_range = _span(result)
    return figure(traces, title, height=520, xaxis=axis("x", range=x_range), yaxis=axis("y", range=y_range))


def race_loss_figure(result: RaceResult, at: int | None = None) -> go.Figure:
    """Loss against step on a log axis, one line per optimizer, with the replayed step marked."""
    traces = []
    for i, track in enumerate(result.tracks):
        color = COLORS[i % len(COLORS)]
        steps = np.arange(len(track.loss))
        loss = np.maximum(track.loss - _floor(result), FLOOR)
        traces.append(dict(type="scatter", x=steps, y=loss, mode="lines", name=track.name, line=dict(color=color)))
        if track.diverged_at:
            traces.append(dict(type="scatter", x=steps[-1:], y=loss[-1:], mode="markers", showlegend=False,
                               name=f"{track.name}: diverged at step {track.diverged_at}",
                               marker=dict(symbol="x", size=11, color=color)))
    shapes = [] if at is None else [dict(type="line", x0=at, x1=at, y0=0, y1=1, yref="paper",
                                         line=dict(color="grey", dash="dot"))]
    return figure(traces, "Loss above the minimum", height=320, shapes=shapes, xaxis=axis("step"),
                  yaxis=axis("f(θ) − f(minimum)", type="log", exponentformat="power"))


def _floor(result: RaceResult) -> float:
    """The loss at the global minimum, so that every curve falls towards 0 on the log axis."""
    return float(surface_value(result.config.surface, result.config.kappa, *result.minimum))


def race_live_figure(rows: pd.DataFrame) -> go.Figure:
    """Loss so far, one line per optimizer, from the rows the running job has reported."""
    names = [c for c in rows.columns if c not in ("step", "batch_loss")] if not rows.empty else []
    traces = []
    for i, name in enumerate(names):
        present = rows[name].notna()  # a diverged optimizer stops reporting
        traces.append(dict(type="scatter", x=rows.loc[present, "step"].to_numpy(),
                           y=np.maximum(rows.loc[present, name].to_numpy(dtype=float), FLOOR), mode="lines", name=name,
                           line=dict(color=COLORS[i % len(COLORS)])))
    return figure(traces, "Loss so far", height=320, xaxis=axis("step"), yaxis=axis("loss", type="log"))


def side_by_side_figure(result: RaceResult, titles: tuple[str, ...]) -> go.Figure:
    """One small contour plot per racer, side by side: the same problem at each learning rate."""
    n = len(result.tracks)
    gap = 0.04
    width = (1 - gap * (n - 1)) / n
    traces, layout, annotations = [], {}, []
    x_range, y_range = _span(result)
    for i, (track, title) in enumerate(zip(result.tracks, titles, strict=True)):
        suffix = "" if i == 0 else str(i + 1)
        xa, ya = "x" + suffix, "y" + suffix
        traces += [_contour(result, xa, ya, show_scale=False), *_path(track, COLORS[i], xa, ya),
                   *_landmarks(result, xa, ya, legend=i == 0)]
        left = i * (width + gap)
        layout["xaxis" + suffix] = axis("x", domain=[left, left + width], range=x_range, anchor=ya)
        layout["yaxis" + suffix] = axis("y" if i == 0 else "", range=y_range, anchor=xa)
        status = f"diverged at step {track.diverged_at}" if track.diverged_at else f"loss {track.loss[-1]:.3g}"
        lr = result.config.racers[i].lr
        annotations.append(dict(text=f"<b>{title}</b><br>lr {lr:g}: {status}",
                                x=left + width / 2, y=1.0, xref="paper", yref="paper", xanchor="center",
                                yanchor="bottom", showarrow=False))
    return figure(traces, "", height=380, annotations=annotations, showlegend=False,
                  margin=dict(l=10, r=10, t=60, b=10), **layout)
