"""Figures of backpropagation and the losses: the 2-2-1 network with its numbers, gradients and surfaces."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.backprop import BackpropView
from engine.loss_demos import LOSS_LABELS, LossView

NODES = {"x1": (0, 1.5), "x2": (0, 0.5), "h1": (1, 1.5), "h2": (1, 0.5), "o": (2, 1.0)}
EDGES = (("x1", "h1", "w1"), ("x2", "h1", "w2"), ("x1", "h2", "w3"), ("x2", "h2", "w4"),
         ("h1", "o", "w5"), ("h2", "o", "w6"))
LABEL_AT = 0.3  # where along an edge its label sits, from the receiving end; uneven, so crossing labels part


def network_figure(view: BackpropView) -> go.Figure:
    """The network with each node's value and each weight's gradient; the edge width shows |∂L/∂w|."""
    c, cache = view.config, view.forward.set_index("quantity")["value"]
    grads = view.gradients.set_index("parameter")["by hand"]
    values = {"x1": c.x1, "x2": c.x2, "h1": cache["h1"], "h2": cache["h2"], "o": cache["o"]}
    biggest = max(float(np.abs(grads).max()), 1e-12)
    traces, notes = [], []
    for start, end, name in EDGES:
        (x0, y0), (x1, y1) = NODES[start], NODES[end]
        g = float(grads[name])
        traces.append(dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines", showlegend=False,
                           hoverinfo="skip", line=dict(color=COLORS[1] if g > 0 else COLORS[0],
                                                       width=1 + 7 * abs(g) / biggest)))
        t = LABEL_AT if start.startswith("x") else 0.45
        notes.append(dict(x=x1 + (x0 - x1) * t, y=y1 + (y0 - y1) * t, showarrow=False, bgcolor="white",
                          text=f"{name} = {getattr(c, name):.3g}<br>∂L/∂{name} = {g:.3g}",
                          font=dict(size=11, color="black")))
    for node, bias in (("h1", "b1"), ("h2", "b2"), ("o", "b3")):
        x, y = NODES[node]
        notes.append(dict(x=x, y=y - 0.27, showarrow=False, font=dict(size=11, color="#555555"),
                          text=f"{bias} = {getattr(c, bias):.3g}, ∂L/∂{bias} = {float(grads[bias]):.3g}"))
    traces.append(dict(type="scatter", x=[p[0] for p in NODES.values()], y=[p[1] for p in NODES.values()],
                       mode="markers+text", showlegend=False, marker=dict(size=46, color="#f2f2f2",
                                                                          line=dict(color="black", width=1)),
                       textfont=dict(color="black", size=12),
                       text=[f"{k}<br>{v:.4g}" for k, v in values.items()], textposition="middle center",
                       hoverinfo="skip"))
    notes.append(dict(x=2.35, y=1.0, showarrow=False, xanchor="left",
                      text=f"y = {c.target:g}<br>L = {view.loss:.4g}<br>after the update<br>L = {view.new_loss:.4g}"))
    title = "Forward values in the nodes; each weight's gradient on its edge (red: positive, blue: negative)"
    return figure(traces, title, height=380, annotations=notes, xaxis=dict(visible=False, range=[-0.3, 2.9]),
                  yaxis=dict(visible=False, range=[0.1, 1.8]))


def loss_gradient_figure(view: LossView) -> go.Figure:
    """|∂L/∂z| at the sigmoid's input against the probability given to the true class, for both losses."""
    traces = [dict(type="scatter", x=view.p, y=np.abs(view.mse_grad), mode="lines", name="mean squared error",
                   line=dict(color=COLORS[0], width=2)),
              dict(type="scatter", x=view.p, y=np.abs(view.ce_grad), mode="lines", name="cross-entropy",
                   line=dict(color=COLORS[1], width=2)),
              dict(type="scatter", x=[view.at, view.at], y=[abs(view.at_mse_grad), abs(view.at_ce_grad)],
                   mode="markers", name=f"at p = {view.at:g}", marker=dict(color="black", size=10))]
    return figure(traces, "How hard each loss pushes the logit", height=360,
                  xaxis=axis("probability the model gives the true class (y = 1)"),
                  yaxis=axis("|∂L/∂z|, the gradient at the logit"))


def loss_surface_figure(view: LossView) -> go.Figure:
    """Both losses over the one weight w of p = σ(w·x), averaged over the tumours."""
    traces = [dict(type="scatter", x=view.w, y=view.surface_mse, mode="lines", name="mean squared error",
                   line=dict(color=COLORS[0], width=2)),
              dict(type="scatter", x=view.w, y=view.surface_ce, mode="lines", name="cross-entropy",
                   line=dict(color=COLORS[1], width=2))]
    return figure(traces, "The loss over one weight", height=360,
                  xaxis=axis("w, the one weight of p = σ(w · worst radius)"),
                  yaxis=axis("loss (log)", type="log"))


def loss_training_figure(rows: pd.DataFrame) -> go.Figure:
    """Training accuracy (solid) and the share of confident mistakes (dotted) against step, one colour per loss."""
    traces = []
    if not rows.empty and {"loss", "train_acc", "wrong"} <= set(rows.columns):
        x = "run_step" if "run_step" in rows else "step"
        for i, name in enumerate(dict.fromkeys(rows["loss"])):
            part = rows[rows["loss"] == name]
            for column, dash, what in (("train_acc", "solid", "training accuracy"),
                                       ("wrong", "dot", "confidently wrong")):
                traces.append(dict(type="scatter", x=part[x].to_numpy(), y=part[column].to_numpy(float),
                                   mode="lines", name=f"{LOSS_LABELS.get(name, name)}: {what}", legendgroup=name,
                                   line=dict(color=COLORS[i % len(COLORS)], dash=dash, width=2)))
    return figure(traces, "The same network from the same confidently wrong start", height=380, legend="right",
                  xaxis=axis("step"), yaxis=axis("share of training tumours", tickformat=".0%", range=[0, 1.02]))
