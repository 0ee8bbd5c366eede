"""Recurrent cells written out (plain RNN, LSTM, GRU), and the sequence models the page trains.

The written-out cells use torch.nn's weight layout, so a trained nn.LSTM or nn.GRU can be inspected step by step
with them: weight_ih (gates·H, I), weight_hh (gates·H, H), bias_ih and bias_hh (gates·H,), the gates stacked in
PyTorch's order (LSTM: input i, forget f, candidate g, output o; GRU: reset r, update z, candidate n).
"""

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

KINDS = {"rnn": "plain RNN", "gru": "GRU", "lstm": "LSTM"}  # kind -> label
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks stacked in weight_ih and weight_hh
TRACE_NAMES = {  # what `unroll` records at each step, in the order the page shows them
    "lstm": ("i", "f", "g", "o", "c", "h"),
    "gru": ("r", "z", "n", "h"),
    "rnn": ("h",),
}
TRACE_LABELS = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
                "c": "cell state c", "h": "hidden state h", "r": "reset gate r", "z": "update gate z",
                "n": "candidate n"}


@dataclass(frozen=True)
class CellWeights:
    """One direction of one layer, in torch.nn's layout."""

    w_ih: Tensor  # (gates·H, I)
    w_hh: Tensor  # (gates·H, H)
    b_ih: Tensor  # (gates·H,)
    b_hh: Tensor  # (gates·H,)


def rnn_cell(x: Tensor, h: Tensor, w: CellWeights) -> dict[str, Tensor]:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    a = x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh  # (B, H)
    return {"a": a, "h": torch.tanh(a)}


def lstm_cell(x: Tensor, h: Tensor, c: Tensor, w: CellWeights) -> dict[str, Tensor]:
    """One LSTM step: the four gates from x and h, then the new cell state c' and hidden state h'."""
    z = x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh  # (B, 4H) pre-activations, stacked i, f, g, o
    z_i, z_f, z_g, z_o = z.chunk(4, dim=1)  # (B, H) each
    i = torch.sigmoid(z_i)  # input gate: how much of the candidate to write
    f = torch.sigmoid(z_f)  # forget gate: how much of the old cell state to keep
    g = torch.tanh(z_g)  # candidate: what would be written
    o = torch.sigmoid(z_o)  # output gate: how much of the cell to show as h
    c_new = f * c + i * g  # (B, H)
    h_new = o * torch.tanh(c_new)  # (B, H)
    return {"z_i": z_i, "z_f": z_f, "z_g": z_g, "z_o": z_o, "i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}


def gru_cell(x: Tensor, h: Tensor, w: CellWeights) -> dict[str, Tensor]:
    """One GRU step: reset and update gates, the candidate, and h' = (1 − z)·n + z·h."""
    a_x = x @ w.w_ih.T + w.b_ih  # (B, 3H) stacked r, z, n
    a_h = h @ w.w_hh.T + w.b_hh  # (B, 3H)
    x_r, x_z, x_n = a_x.chunk(3, dim=1)
    h_r, h_z, h_n = a_h.chunk(3, dim=1)
    r = torch.sigmoid(x_r + h_r)  # reset gate: how much of h the candidate may see
    z = torch.sigmoid(x_z + h_z)  # update gate: how much of the old h to keep
    n = torch.tanh(x_n + r * h_n)  # candidate
    h_new = (1 - z) * n + z * h  # (B, H)
    return {"a_r": x_r + h_r, "a_z": x_z + h_z, "a_nx": x_n, "a_nh": h_n, "r": r, "z": z, "n": n, "h": h_new}


def unroll(kind: str, x: Tensor, w: CellWeights, reverse: bool = False) -> dict[str, Tensor]:
    """Run the written-out cell over x (B, T, I) from zero states; every recorded value stacked as (B, T, H)."""
    batch, length, _ = x.shape
    hidden = w.w_hh.shape[1]
    h = x.new_zeros(batch, hidden)  # (B, H)
    c = x.new_zeros(batch, hidden)
    steps: list[dict[str, Tensor]] = [{} for _ in range(length)]
    for t in (reversed(range(length)) if reverse else range(length)):
        if kind == "lstm":
            out = lstm_cell(x[:, t], h, c, w)
            c = out["c"]
        elif kind == "gru":
            out = gru_cell(x[:, t], h, w)
        else:
            out = rnn_cell(x[:, t], h, w)
        h = out["h"]
        steps[t] = out
    return {name: torch.stack([s[name] for s in steps], dim=1) for name in steps[0]}


def weights_of(module: nn.RNNBase | nn.Module, reverse: bool = False) -> CellWeights:
    """The first layer's weights of an nn.RNN, nn.GRU or nn.LSTM (or a WrittenRecurrent): one direction."""
    suffix = "_l0_reverse" if reverse else "_l0"
    return CellWeights(*(getattr(module, name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))


class WrittenRecurrent(nn.Module):
    """The written-out cell as a layer, with nn.LSTM's (nn.GRU's, nn.RNN's) parameter names: state dicts swap."""

    def __init__(self, kind: str, input_size: int, hidden: int, bidirectional: bool = False):
        super().__init__()
        self.kind, self.bidirectional = kind, bidirectional
        rows = GATES[kind] * hidden
        for suffix in ("_l0", "_l0_reverse")[: 1 + bidirectional]:
            self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(rows, input_size)))
            self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(rows, hidden)))
            self.register_parameter("bias_ih" + suffix, nn.Parameter(torch.empty(rows)))
            self.register_parameter("bias_hh" + suffix, nn.Parameter(torch.empty(rows)))

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        out = unroll(self.kind, x, weights_of(self))["h"]  # (B, T, H)
        if self.bidirectional:
            out = torch.cat([out, unroll(self.kind, x, weights_of(self, reverse=True), reverse=True)["h"]], dim=2)
        return out, None


FUSED = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def parameter_count(kind: str, input_size: int, hidden_size: int) -> int:
    """Parameters of one layer of torch.nn.RNN, GRU or LSTM (both bias vectors, as PyTorch keeps them)."""
    return sum(p.numel() for p in FUSED[kind](input_size, hidden_size).parameters())


class SequenceNet(nn.Module):
    """A recurrent layer and a linear head: on the last step's hidden state, or on every step's."""

    def __init__(self, kind: str, input_size: int, hidden: int, outputs: int, per_step: bool,
                 bidirectional: bool = False, cell: str = "fused"):
        super().__init__()
        self.kind, self.per_step, self.bidirectional = kind, per_step, bidirectional
        if cell == "fused":
            self.rnn = FUSED[kind](input_size, hidden, batch_first=True, bidirectional=bidirectional)
        else:
            self.rnn = WrittenRecurrent(kind, input_size, hidden, bidirectional)
        self.head = nn.Linear(hidden * (1 + bidirectional), outputs)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, T, H·directions)
        if self.per_step:
            return self.head(out)  # (B, T, outputs)
        if self.bidirectional:  # many-to-one: the forward pass's last step and the backward pass's first
            hidden = out.shape[2] // 2
            return self.head(torch.cat([out[:, -1, :hidden], out[:, 0, hidden:]], dim=1))  # (B, outputs)
        return self.head(out[:, -1])  # (B, outputs)


@torch.no_grad()
def init_weights(net: SequenceNet, generator: torch.Generator, forget_bias: float = 0.0,
                 recurrent_scale: float = 0.0) -> None:
    """PyTorch's default init, U(−1/√H, 1/√H), drawn from our generator, and two common changes.

    `forget_bias` b is the memory bias of both gated cells. The LSTM's forget gate starts at bias +b and its input
    gate at −b (in bias_ih; bias_hh's parts are 0), as in Tallec and Ollivier's chrono initialization: the cell keeps
    what it holds (f = σ(b)) and writes little (i = σ(−b)) until training opens the input gate for what matters. The
    GRU's update gate starts at +b (bias_ih's z block; bias_hh's is 0): h' = (1 − z)·n + z·h keeps σ(b) of its old
    state and writes σ(−b) of the candidate, the same pair tied into one gate. `recurrent_scale` > 0 replaces each
    weight_hh block by that multiple of a random orthogonal matrix, so that the recurrence stretches (> 1) or
    shrinks (< 1) its state by exactly that factor.
    """
    hidden = net.rnn.weight_hh_l0.shape[1]
    bound = 1 / math.sqrt(hidden)
    for name, p in net.rnn.named_parameters():
        nn.init.uniform_(p, -bound, bound, generator=generator)
        if recurrent_scale > 0 and name.startswith("weight_hh"):
            for block in p.split(hidden, dim=0):
                q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=generator))
                block.copy_(recurrent_scale * q)
        if net.kind == "lstm" and name.startswith("bias_ih"):
            p[:hidden], p[hidden:2 * hidden] = -forget_bias, forget_bias  # input gate, forget gate
        if net.kind == "lstm" and name.startswith("bias_hh"):
            p[: 2 * hidden] = 0.0
        if net.kind == "gru" and name.startswith("bias_"):  # stacked r, z, n: the update gate z is rows H..2H
            p[hidden:2 * hidden] = forget_bias if name.startswith("bias_ih") else 0.0
    head_bound = 1 / math.sqrt(net.head.in_features)
    nn.init.uniform_(net.head.weight, -head_bound, head_bound, generator=generator)
    nn.init.uniform_(net.head.bias, -head_bound, head_bound, generator=generator)


@torch.no_grad()
def trace(net: SequenceNet, x: Tensor) -> dict[str, Tensor]:
    """Every gate and state of the trained layer on x (B, T, I), through the written-out cell (forward direction)."""
    return unroll(net.kind, x, weights_of(net.rnn))


def input_gradients(net: SequenceNet, x: Tensor, loss_fn) -> Tensor:
    """‖∂L/∂x_t‖ for each step t, averaged over the batch: (T,). L is the loss at the output(s)."""
    x = x.clone().requires_grad_(True)
    loss = loss_fn(net(x))
    (grad,) = torch.autograd.grad(loss, x)  # (B, T, I)
    return grad.norm(dim=2).mean(dim=0).detach()  # (T,)
