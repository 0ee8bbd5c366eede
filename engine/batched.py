"""K copies of one small network trained together: a learning-rate sweep in one vectorized run.

Every copy starts from the same weights and sees the same minibatches; only its learning rate
(and weight decay) differ. Weights are stacked on a leading copy axis, (K, fan_in, fan_out), so a
forward pass is a few batched matrix products and an optimizer step is one update per weight
tensor for all copies. A copy whose loss or weights stop being finite is frozen and marked
"diverged at step k"; the others train on.
"""

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.activations import ACTIVATIONS
from engine.device import describe, pick_device
from engine.models import MLP, init_uniform
from engine.tabular import breast_cancer, classification_split
from engine.trainer import OPTIMIZERS, Hooks, Report, TrainOutcome, batches, loop, optimizer_code, optimizer_kwargs

# --- the stacked network ---------------------------------------------------------------------


class StackedMLP:
    """K copies of one MLP: layer l's weights are (K, fan_in, fan_out), its biases (K, 1, fan_out).

    `masks`, one (K, 1, width) tensor of 0s and 1s per hidden layer, switch units off per copy: a
    masked unit's output is zeroed, so it carries nothing forward and its weights get no gradient.
    Copies of different widths thus share one run, each exactly its own smaller network.
    """

    def __init__(self, weights: list[Tensor], biases: list[Tensor], activations: list[nn.Module],
                 masks: list[Tensor] | None = None):
        self.weights, self.biases, self.activations, self.masks = weights, biases, activations, masks

    @property
    def copies(self) -> int:
        return self.weights[0].shape[0]

    def __call__(self, x: Tensor) -> Tensor:
        """x: (batch, in_features), shared by every copy, or (K, batch, in_features), one batch per copy."""
        h = x if x.dim() == 3 else x.expand(self.copies, *x.shape)  # (K, batch, in_features), no copy
        for layer, (W, b, act) in enumerate(zip(self.weights, self.biases, self.activations, strict=False)):
            h = act(torch.baddbmm(b, h, W))  # (K, batch, width)
            if self.masks is not None:
                h = h * self.masks[layer]  # (K, batch, width): each copy's own units only
        return torch.baddbmm(self.biases[-1], h, self.weights[-1])  # (K, batch, classes)

    def parameters(self) -> list[Tensor]:
        """In the order of MLP.parameters(): each layer's weight, then its bias."""
        return [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]

    @torch.no_grad()
    def weight_sums(self) -> Tensor:
        """Each copy's sum of all its weights: finite exactly when every weight is (short of overflow)."""
        return torch.cat([p.flatten(1) for p in self.parameters()], 1).sum(1)  # (K,)

    def copy(self, k: int) -> list[Tensor]:
        """Copy k's parameters shaped as MLP.parameters(): weight (out, in), bias (out,); its own units only."""
        if self.masks is None:
            return [t for W, b in zip(self.weights, self.biases, strict=True) for t in (W[k].T, b[k, 0])]
        kept = [torch.ones(self.weights[0].shape[1], dtype=torch.bool, device=self.weights[0].device)]
        kept += [mask[k, 0].bool() for mask in self.masks]
        kept.append(torch.ones(self.weights[-1].shape[2], dtype=torch.bool, device=self.weights[0].device))
        return [t for W, b, rows, cols in zip(self.weights, self.biases, kept[:-1], kept[1:], strict=True)
                for t in (W[k][rows][:, cols].T, b[k, 0][cols])]


def stack_copies(net: MLP, copies: int) -> StackedMLP:
    """`copies` identical copies of the net's current weights, as leaf tensors that train."""
    layers = net.linear_layers()
    weights = [_repeat(layer.weight.T, copies) for layer in layers]  # (K, fan_in, fan_out) each
    biases = [_repeat(layer.bias.view(1, -1), copies) for layer in layers]  # (K, 1, fan_out) each
    return StackedMLP(weights, biases, [layer[1] for layer in net.hidden])  # activations hold no weights


def stack_nets(nets: list[MLP]) -> StackedMLP:
    """One copy per net: nets of one depth and activation, any widths, zero-padded to the widest and masked."""
    layers = [net.linear_layers() for net in nets]  # per net: its Linear layers, the output last
    first = layers[0]
    if any(net.activations != nets[0].activations for net in nets):
        raise ValueError("Stacked nets need the same activations, layer by layer.")
    if any(a.out_features != b.in_features
           for net_layers in layers for a, b in zip(net_layers[:-1], net_layers[1:], strict=True)):
        raise ValueError("Stacked nets need activations that keep each layer's width (not maxout).")
    if any((ls[0].in_features, ls[-1].out_features) != (first[0].in_features, first[-1].out_features)
           for ls in layers):
        raise ValueError("Stacked nets need the same number of inputs and outputs.")
    widest = [max(ls[i].out_features for ls in layers) for i in range(len(first) - 1)]
    fan_ins, fan_outs = [first[0].in_features, *widest], [*widest, first[-1].out_features]
    K = len(nets)
    device = first[0].weight.device
    weights = [torch.zeros(K, i, o, device=device) for i, o in zip(fan_ins, fan_outs, strict=True)]
    biases = [torch.zeros(K, 1, o, device=device) for o in fan_outs]
    masks = [torch.zeros(K, 1, width, device=device) for width in widest]  # (K, 1, width) each
    with torch.no_grad():
        for k, net_layers in enumerate(layers):
            for W, b, layer in zip(weights, biases, net_layers, strict=True):
                W[k, :layer.in_features, :layer.out_features] = layer.weight.T
                b[k, 0, :layer.out_features] = layer.bias
            for mask, layer in zip(masks, net_layers, strict=False):
                mask[k, 0, :layer.out_features] = 1
    return StackedMLP([W.requires_grad_() for W in weights], [b.requires_grad_() for b in biases],
                      [layer[1] for layer in nets[0].hidden], masks)


def _repeat(t: Tensor, copies: int) -> Tensor:
    """`copies` copies of t stacked on a new first axis: a fresh leaf tensor that trains."""
    return t.detach().expand(copies, *t.shape).contiguous().requires_grad_()


def initial_net(in_features: int, width: int, depth: int, activation: str, num_classes: int,
                generator: torch.Generator) -> MLP:
    """The MLP every copy starts from, initialised from `generator`."""
    net = MLP(in_features, width, (activation,) * depth, num_classes)
    init_uniform(net, generator)
    return net


def copy_losses(logits: Tensor, y: Tensor, row_mask: Tensor | None = None) -> Tensor:
    """Each copy's mean cross-entropy: (K, batch, classes) logits, (batch,) or (K, batch) labels -> (K,)."""
    K, B, _ = logits.shape
    per_point = nn.functional.cross_entropy(logits.transpose(1, 2), y.expand(K, B), reduction="none")  # (K, B)
    return _row_mean(per_point, row_mask)


def copy_mse(outputs: Tensor, y: Tensor, row_mask: Tensor | None = None) -> Tensor:
    """Each copy's mean squared error: (K, batch, 1) outputs, (batch,) or (K, batch) targets -> (K,)."""
    per_point = (outputs.squeeze(2) - y).square()  # (K, B)
    return _row_mean(per_point, row_mask)


def _row_mean(per_point: Tensor, row_mask: Tensor | None) -> Tensor:
    """(K, B) -> (K,): the mean over all rows, or over each copy's own rows where row_mask (K, B) is 1."""
    if row_mask is None:
        return per_point.mean(1)
    return (per_point * row_mask).sum(1) / row_mask.sum(1).clamp_min(1)  # a batch without its rows: loss 0


# --- the stacked optimizer -------------------------------------------------------------------


class StackedOptimizer:
    """One OPTIMIZERS row on stacked parameters: torch.optim's algorithm, a learning rate per copy.

    Every parameter tensor has the copies on its first axis. `lrs` and `weight_decays` give one
    value per copy; every other hyperparameter is the row's default unless `hyper` overrides it.
    """

    def __init__(self, name: str, params: list[Tensor], lrs, weight_decays=None,
                 hyper: tuple[tuple[str, object], ...] = ()):
        cls = OPTIMIZERS[name].make
        torch_defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items()
                          if p.default is not inspect.Parameter.empty}
        self.settings = torch_defaults | optimizer_kwargs(name, 0.0, hyper)
        self.algorithm = "adamw" if cls is torch.optim.AdamW else cls.__name__.lower()
        self.params = list(params)
        K = len(lrs)
        if weight_decays is None:
            weight_decays = [self.settings.get("weight_decay", 0.0)] * K
        if len(weight_decays) != K or any(p.shape[0] != K for p in self.params):
            raise ValueError(f"{K} learning rates, but the weight decays or parameters hold another number of copies")
        # Per-copy rates in double on the CPU, as torch.optim computes its step sizes in Python floats.
        self.lr64 = torch.tensor(lrs, dtype=torch.float64).view(K, 1, 1)
        self.wd64 = torch.tensor(weight_decays, dtype=torch.float64).view(K, 1, 1)
        self.decays = bool(self.wd64.ne(0).any())
        self._scalars()
        self.step_count = 0
        self.state: list[dict[str, Tensor]] = [{} for _ in self.params]

    def _device(self, t64: Tensor) -> Tensor:
        """A double (K, 1, 1) factor rounded to the parameters' dtype, as torch.optim's scalars are, on their device."""
        return t64.to(self.params[0].dtype).to(self.params[0].device)

    def _scalars(self) -> None:
        self.neg_lr = self._device(-self.lr64)  # (K, 1, 1)
        self.wd = self._device(self.wd64)
        self.shrink = self._device(1 - self.lr64 * self.wd64)  # AdamW's decoupled decay factor

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def freeze(self, k: int) -> None:
        """Stop copy k for good: its weights, gradients and state become 0, its rates 0, so it never moves."""
        for p, state in zip(self.params, self.state, strict=True):
            p[k] = 0
            if p.grad is not None:
                p.grad[k] = 0
            for buffer in state.values():
                buffer[k] = 0
        self.lr64[k] = 0
        self.wd64[k] = 0
        self._scalars()

    @torch.no_grad()
    def step(self) -> None:
        """One update of every copy."""
        self.step_count += 1
        if self.algorithm in ("adam", "adamw"):  # the bias-corrected step size, once for every tensor
            self.neg_step_size = self._device(-self.lr64 / (1 - self.settings["betas"][0] ** self.step_count))
        elif self.algorithm == "adagrad" and self.settings["lr_decay"]:
            self.neg_lr = self._device(-self.lr64 / (1 + (self.step_count - 1) * self.settings["lr_decay"]))
        update = getattr(self, f"_{self.algorithm}")
        for p, state in zip(self.params, self.state, strict=True):
            if p.grad is not None:
                update(p, p.grad, state)

    def _decayed(self, p: Tensor, grad: Tensor) -> Tensor:
        """grad + weight_decay · p, per copy (L2 weight decay as torch.optim adds it)."""
        return torch.addcmul(grad, p, self.wd) if self.decays else grad

    def _sgd(self, p: Tensor, grad: Tensor, state: dict) -> None:
        s = self.settings
        grad = self._decayed(p, grad)
        momentum, dampening = s["momentum"], s["dampening"]
        if momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.clone()
            else:
                state["momentum_buffer"].mul_(momentum).add_(grad, alpha=1 - dampening)
            buf = state["momentum_buffer"]
            grad = grad.add(buf, alpha=momentum) if s["nesterov"] else buf
        p.addcmul_(grad, self.neg_lr)

    def _adagrad(self, p: Tensor, grad: Tensor, state: dict) -> None:
        s = self.settings
        if "sum" not in state:
            state["sum"] = torch.full_like(p, s["initial_accumulator_value"])
        grad = self._decayed(p, grad)
        state["sum"].addcmul_(grad, grad, value=1)
        std = state["sum"].sqrt().add_(s["eps"])
        p.add_(grad.mul(self.neg_lr).div_(std))  # as addcdiv: p + (value · grad) / std

    def _rmsprop(self, p: Tensor, grad: Tensor, state: dict) -> None:
        s = self.settings
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(p)
            if s["momentum"] > 0:
                state["momentum_buffer"] = torch.zeros_like(p)
        grad = self._decayed(p, grad)
        alpha = s["alpha"]
        square_avg = state["square_avg"].mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        avg = square_avg.sqrt().add_(s["eps"])
        if s["momentum"] > 0:
            buf = state["momentum_buffer"].mul_(s["momentum"]).addcdiv_(grad, avg)
            p.addcmul_(buf, self.neg_lr)
        else:
            p.add_(grad.mul(self.neg_lr).div_(avg))

    def _adam(self, p: Tensor, grad: Tensor, state: dict, decoupled: bool = False) -> None:
        s = self.settings
        beta1, beta2 = s["betas"]
        if "exp_avg" not in state:
            state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
        if decoupled:
            p.mul_(self.shrink)
        else:
            grad = self._decayed(p, grad)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction2_sqrt = (1 - beta2**self.step_count) ** 0.5
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(s["eps"])
        p.add_(exp_avg.mul(self.neg_step_size).div_(denom))  # as addcdiv: p + (value · exp_avg) / denom

    def _adamw(self, p: Tensor, grad: Tensor, state: dict) -> None:
        self._adam(p, grad, state, decoupled=True)


# --- training the copies together ------------------------------------------------------------


class StackedTrainer:
    """Minibatch steps of all copies at once; a copy whose loss or weights stop being finite is frozen.

    X is (n, in_features) shared by every copy or (K, n, in_features) one set per copy, y (n,) or
    (K, n). `loss` is copy_losses (cross-entropy) or copy_mse; `row_mask` (K, n) of 0s and 1s
    trains each copy on its own rows only (its loss averages over them).
    """

    def __init__(self, model: StackedMLP, optimizer: StackedOptimizer, X: Tensor, y: Tensor,
                 batch_indices, loss: Callable[..., Tensor] = copy_losses, row_mask: Tensor | None = None):
        self.model, self.optimizer, self.X, self.y = model, optimizer, X, y
        self.batch_indices, self.loss, self.row_mask = batch_indices, loss, row_mask
        self.diverged_at = [0] * model.copies  # 0: still training
        self.live = torch.ones(model.copies, device=X.device)  # (K,) 1 for a training copy, 0 for a frozen one

    def step(self, i: int) -> np.ndarray:
        """Step i for every copy: each copy's batch loss before its update, NaN for frozen copies."""
        idx = next(self.batch_indices)
        xb, yb, mask = (self.X, self.y, self.row_mask) if idx is None else (
            self.X.index_select(-2, idx), self.y.index_select(-1, idx),
            None if self.row_mask is None else self.row_mask.index_select(1, idx))
        losses = self.loss(self.model(xb), yb, mask)  # (K,)
        with torch.no_grad():
            checks = torch.stack([losses, self.model.weight_sums()]).cpu().numpy()  # (2, K): one transfer a step
        self.optimizer.zero_grad()
        (losses * self.live).sum().backward()  # copies are independent: each gets its own gradient
        for k in np.flatnonzero(~np.isfinite(checks).all(0)):
            self.freeze(k, i)  # also clears the gradient its non-finite loss just produced
        self.optimizer.step()
        values = checks[0].astype(np.float64)
        values[self.frozen] = np.nan
        return values

    @property
    def frozen(self) -> np.ndarray:
        return np.array(self.diverged_at) > 0  # (K,) bool

    def freeze(self, k: int, step: int) -> None:
        """Copy k diverged at `step`: it stops for good, its weights and state zeroed."""
        if not self.diverged_at[k]:
            self.diverged_at[k] = step
            self.live[k] = 0
            self.optimizer.freeze(k)

    def freeze_nonfinite(self, step: int) -> None:
        """After the last step: freeze copies whose last update left their weights or loss non-finite."""
        losses = self.losses(self.X, self.y, self.row_mask)
        sums = self.model.weight_sums().cpu().numpy()
        for k in np.flatnonzero(~(np.isfinite(losses) & np.isfinite(sums))):
            self.freeze(k, max(step, 1))

    @torch.no_grad()
    def losses(self, X: Tensor, y: Tensor, row_mask: Tensor | None = None) -> np.ndarray:
        """Each copy's loss on (X, y), over its own rows where row_mask is given; NaN for frozen copies."""
        losses = self.loss(self.model(X), y, row_mask).double().cpu().numpy()  # (K,)
        losses[self.frozen] = np.nan
        return losses

    @torch.no_grad()
    def evaluate(self, X: Tensor, y: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Each copy's mean loss and accuracy on (X, y), NaN for frozen copies."""
        logits = self.model(X)  # (K, n, classes)
        losses = copy_losses(logits, y).double().cpu().numpy()
        accuracy = (logits.argmax(2) == y).double().mean(1).cpu().numpy()
        losses[self.frozen] = accuracy[self.frozen] = np.nan
        return losses, accuracy


def summary_loss(losses: np.ndarray) -> float:
    """The mean batch loss over the copies still training; NaN when none is, which ends the loop."""
    live = losses[np.isfinite(losses)]
    return float(live.mean()) if live.size else math.nan


@dataclass
class StackedRun:
    outcome: TrainOutcome
    trainer: StackedTrainer
    history: pd.DataFrame  # long form: step, copy, train_loss (whole training split); finite values only


def train_stacked(net: MLP, X: Tensor, y: Tensor, optimizer: str, lrs, weight_decays, steps: int,
                  batch_size: int, report_every: int, generator: torch.Generator, hooks: Hooks,
                  report: Callable[[np.ndarray], dict], hyper: tuple[tuple[str, object], ...] = ()) -> StackedRun:
    """Train len(lrs) copies of `net` together through engine.trainer.loop, batches drawn from `generator`.

    At each report step every copy's loss on the whole training split is recorded, and
    `report(losses)` turns them (NaN for a frozen copy) into the finite metrics the report carries.
    """
    model = stack_copies(net, len(lrs))
    trainer = StackedTrainer(model, StackedOptimizer(optimizer, model.parameters(), lrs, weight_decays, hyper),
                             X, y, batches(len(X), batch_size, generator, X.device))
    rows: list[tuple[int, int, float]] = []

    def measure(step: int, _: float) -> dict:
        losses, _ = trainer.evaluate(X, y)
        rows.extend((step, k, float(v)) for k, v in enumerate(losses) if math.isfinite(v))
        return report(losses)

    outcome = loop(lambda i: summary_loss(trainer.step(i)), steps, report_every, hooks, measure)
    history = pd.DataFrame(rows, columns=["step", "copy", "train_loss"]).astype({"step": int, "copy": int})
    return StackedRun(outcome, trainer, history.sort_values(["copy", "step"], kind="stable", ignore_index=True))


# --- the learning-rate sweep -----------------------------------------------------------------


@dataclass(frozen=True)
class SweepConfig:
    optimizer: str = "sgd"  # a key of OPTIMIZERS
    lrs: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # one copy of the network each
    steps: int = 300  # optimizer updates
    batch_size: int = 32  # 0: full batch
    width: int = 16  # units per hidden layer
    depth: int = 2  # hidden layers
    activation: str = "relu"  # a key of ACTIVATIONS, used by every hidden layer
    seed: int = 0  # the data split, the shared initial weights and the batch order
    report_every: int = 10  # steps between history rows and progress reports
    device: str = ""  # "" picks engine.device.pick_device()


TINY_SWEEP = SweepConfig(steps=2, lrs=(0.01, 0.1))  # trains in a few milliseconds


@dataclass
class CopyResult:
    lr: float
    diverged_at: int  # the step whose loss (or weights) stopped being finite; 0: never
    train_loss: float | None  # on the whole training split at the end; None for a diverged copy
    test_loss: float | None
    test_acc: float | None


@dataclass
class SweepResult:
    config: SweepConfig
    status: str  # "finished", "diverged" (every copy), "cancelled" or "out of time"
    message: str
    steps_done: int
    seconds: float
    device: str
    history: pd.DataFrame  # long form: step, lr, train_loss; a copy's rows stop where it diverged
    copies: list[CopyResult]
    code: str  # the same training as a plain torch.optim loop for one learning rate

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"

    @property
    def table(self) -> pd.DataFrame:
        """One row per learning rate (NaN where a diverged copy has no value; for tables, not charts)."""
        return pd.DataFrame([vars(c) for c in self.copies])


def lr_key(lr: float) -> str:
    """A copy's name in progress reports, e.g. "loss_lr=0.01"."""
    return f"loss_lr={lr:g}"


def run_sweep(config: SweepConfig, on_report: Report | None = None, should_stop=None,
              deadline=None) -> SweepResult:
    """Train one copy of the network per learning rate, all in one stacked run."""
    names = [lr_key(lr) for lr in config.lrs]
    if not names or len(set(names)) != len(names) or min(config.lrs) < 0:
        raise ValueError("Give at least one learning rate, none negative and none twice.")
    hooks = Hooks(on_report, should_stop, deadline)
    device = pick_device(config.device or None)
    data = classification_split(breast_cancer(), seed=config.seed, device=device)
    generator = torch.Generator().manual_seed(config.seed)
    net = initial_net(data.X_train.shape[1], config.width, config.depth, config.activation, data.num_classes,
                      generator).to(device)
    def report(losses: np.ndarray) -> dict:  # one line per learning rate on the live chart
        return {name: float(v) for name, v in zip(names, losses, strict=True) if math.isfinite(v)}

    run = train_stacked(net, data.X_train, data.y_train, config.optimizer, config.lrs, None, config.steps,
                        config.batch_size, config.report_every, generator, hooks, report)
    run.trainer.freeze_nonfinite(run.outcome.steps_done)
    trainer = run.trainer
    train_losses, _ = trainer.evaluate(data.X_train, data.y_train)
    test_losses, test_accs = trainer.evaluate(data.X_test, data.y_test)
    copies = [CopyResult(lr, trainer.diverged_at[k], *(_number(v[k]) for v in (train_losses, test_losses, test_accs)))
              for k, lr in enumerate(config.lrs)]
    history = run.history.assign(lr=[config.lrs[k] for k in run.history["copy"]])[["step", "lr", "train_loss"]]
    outcome = run.outcome
    best = min((c for c in copies if c.train_loss is not None), key=lambda c: c.train_loss, default=None)
    return SweepResult(config, outcome.status, _sweep_message(outcome, copies, best), outcome.steps_done,
                       outcome.seconds, describe(device), history, copies,
                       sweep_code(config, best.lr if best else config.lrs[0]))


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _sweep_message(outcome: TrainOutcome, copies: list[CopyResult], best: CopyResult | None) -> str:
    diverged = [c for c in copies if c.diverged_at]
    if outcome.status == "diverged" or best is None:
        last = max((c.diverged_at for c in diverged), default=outcome.steps_done + 1)
        return (f"Every learning rate diverged (the last at step {last}): the loss became NaN or infinite. "
                "Try smaller learning rates.")
    sentences = [outcome.message]
    if diverged:
        which = ", ".join(f"lr = {c.lr:g} at step {c.diverged_at}" for c in diverged)
        sentences.append(f"Diverged: {which}; {'its line ends' if len(diverged) == 1 else 'their lines end'} there.")
    sentences.append(f"The lowest training loss, {best.train_loss:.4f}, came from lr = {best.lr:g}.")
    return " ".join(sentences)


def sweep_code(config: SweepConfig, lr: float) -> str:
    """A standalone script: the same network, data and batches, trained by torch.optim for one lr."""
    act = ACTIVATIONS[config.activation]
    units = act.units(config.width, 2)
    layers, fan_in = [], "n_features"
    for _ in range(config.depth):
        layers.append(f"    nn.Linear({fan_in}, {units}), {act.torch_code.format(slope=0.01, k=2)},")
        fan_in = str(config.width)
    layers.append(f"    nn.Linear({fan_in}, 2),")
    helper = f"\n{act.helper_code}" if act.helper_code else ""
    batch = (
        "    X, y = data.X_train, data.y_train  # full batch\n" if config.batch_size <= 0 else
        f"    if not batches:  # a new epoch: reshuffle, cut into batches of {config.batch_size}\n"
        "        order = torch.randperm(len(data.X_train), generator=g).to(device)\n"
        f"        batches = list(order.split({config.batch_size}))\n"
        "    idx = batches.pop(0)\n"
        "    X, y = data.X_train[idx], data.y_train[idx]\n"
    )
    newline = "\n"
    return f'''import torch
from torch import nn

from engine.tabular import breast_cancer, classification_split
{helper}
device = "cuda" if torch.cuda.is_available() else "cpu"
data = classification_split(breast_cancer(), seed={config.seed}, device=device)  # standardized
n_features = data.X_train.shape[1]
g = torch.Generator().manual_seed({config.seed})  # the initial weights, then the batch order

net = nn.Sequential(
{newline.join(layers)}
)
with torch.no_grad():  # PyTorch's default init, drawn from our generator: every lr starts here
    for layer in net:
        if isinstance(layer, nn.Linear):
            bound = 1 / layer.in_features ** 0.5
            nn.init.uniform_(layer.weight, -bound, bound, generator=g)
            nn.init.uniform_(layer.bias, -bound, bound, generator=g)
net = net.to(device)
optimizer = {optimizer_code(config.optimizer, lr)}
loss_fn = nn.CrossEntropyLoss()

batches = []
for step in range(1, {config.steps + 1}):
{batch}    loss = loss_fn(net(X), y)
    if not torch.isfinite(loss):
        print(f"diverged at step {{step}}")
        break
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % {config.report_every} == 0:
        print(f"step {{step}}: batch loss {{loss.item():.4f}}")
'''

