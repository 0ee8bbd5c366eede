"""The recurrent page's demos: an LSTM or GRU trained and looked inside, RNN against GRU against LSTM as T grows,
gradients through time, exploding gradients (clipping, truncated backpropagation through time), bidirectional.

Every model trains on fresh batches drawn at each step (the tasks are generated, so data never runs out) and is
scored on a fixed test set of TEST_SEQUENCES sequences drawn from a generator of its own.
"""

import inspect
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.device import describe, pick_device
from engine.recurrent import KINDS, SequenceNet, gru_cell, init_weights, input_gradients, lstm_cell, trace
from engine.sequence_tasks import TASKS, SequenceTask, describe_inputs
from engine.trainer import Hooks, InTurn, Report, TrainOutcome, loop

REPORT_EVERY = 10  # steps between test evaluations
TEST_SEQUENCES = 256
TEST_SEED_OFFSET = 10_000  # the test set's generator: seed + this, so it never overlaps the training batches
MAX_LENGTH = 200
MAX_HIDDEN = 128


def _check(task: str, length: int, hidden: int, steps: int, lr: float, batch: int) -> SequenceTask:
    """The task, or a ValueError in a sentence for settings that cannot run."""
    problems = {
        task not in TASKS: f"Unknown task {task!r}: choose one of {', '.join(TASKS)}.",
        not 2 <= length <= MAX_LENGTH: f"Choose a sequence length T from 2 to {MAX_LENGTH}.",
        not 1 <= hidden <= MAX_HIDDEN: f"Choose from 1 to {MAX_HIDDEN} hidden units.",
        steps < 1: "Train for at least 1 step.",
        not (lr > 0 and math.isfinite(lr)): "The learning rate must be a positive number.",
        batch < 1: "Use at least 1 sequence per batch.",
    }
    for bad, sentence in problems.items():
        if bad:
            raise ValueError(sentence)
    return TASKS[task]


def _test_set(task: SequenceTask, length: int, seed: int, device: torch.device) -> tuple[Tensor, Tensor]:
    X, y = task.make(TEST_SEQUENCES, length, torch.Generator().manual_seed(seed + TEST_SEED_OFFSET))
    return X.to(device), y.to(device)


@torch.no_grad()
def _evaluate(net: SequenceNet, task: SequenceTask, X: Tensor, y: Tensor) -> dict:
    out = net(X)
    return {"test_loss": task.loss(out, y).item(), "test_score": task.score(out, y)}


def _fit(net: SequenceNet, task: SequenceTask, length: int, steps: int, lr: float, batch: int,
         generator: torch.Generator, test: tuple[Tensor, Tensor], hooks: Hooks, clip: float = 0.0) -> TrainOutcome:
    """Adam on a fresh batch each step; the test set scored every REPORT_EVERY steps."""
    device = test[0].device
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)

    def step(_: int) -> float:
        X, y = (t.to(device) for t in task.make(batch, length, generator))
        loss = task.loss(net(X), y)
        value = loss.item()
        if math.isfinite(value):  # a diverged loss must not move the weights
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip > 0:
                nn.utils.clip_grad_norm_(net.parameters(), clip)
            optimizer.step()
        return value

    return loop(step, steps, REPORT_EVERY, hooks, lambda i, loss: _evaluate(net, task, *test),
                advice=f"Try a smaller learning rate than {lr:g}.")


def _net(kind: str, task: SequenceTask, hidden: int, generator: torch.Generator, forget_bias: float,
         bidirectional: bool = False, cell: str = "fused", recurrent_scale: float = 0.0) -> SequenceNet:
    net = SequenceNet(kind, task.inputs, hidden, task.classes or 1, task.per_step, bidirectional, cell)
    init_weights(net, generator, forget_bias, recurrent_scale)
    return net


def _tagged(history: pd.DataFrame, offset: int, **columns) -> pd.DataFrame:
    """One run's history inside a job of several: `step` counts on from the runs before, `run_step` within it."""
    if history.empty:
        return history
    return history.assign(run_step=history["step"], step=history["step"] + offset, **columns)


def _score_text(task: SequenceTask, score: float) -> str:
    return f"{score:.0%} accuracy" if task.classes else f"mean squared error {score:.4f}"


def _script_train(indent: str, length: str, steps: int, lr: float, batch: int) -> str:
    """The lines of a shown script that train `net` as _fit does: Adam, a fresh batch each step."""
    lines = [f"optimizer = torch.optim.Adam(net.parameters(), lr={lr:g})",
             f"for step in range({steps}):",
             f"    X, y = task.make({batch}, {length}, generator)  # a fresh batch each step",
             "    loss = task.loss(net(X), y)",
             "    optimizer.zero_grad()",
             "    loss.backward()",
             "    optimizer.step()"]
    return "\n".join(indent + line for line in lines)


# --- 1. train, then look inside --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatesConfig:
    task: str = "first"  # a key of sequence_tasks.TASKS
    model: str = "lstm"  # "lstm" or "gru"
    cell: str = "fused"  # "fused": torch.nn.LSTM (nn.GRU) trains; "written": the written-out cell trains
    length: int = 20  # sequence length T
    hidden: int = 16  # hidden units H
    steps: int = 300  # Adam updates, each on a fresh batch
    lr: float = 0.01  # Adam's learning rate
    batch: int = 32  # sequences per batch
    forget_bias: float = 4.0  # LSTM: forget gate bias +b, input gate −b at the start: keep much, write little
    seed: int = 0  # the weights, the batches and the test set
    device: str = ""  # "" picks the best available


TINY_GATES = GatesConfig(length=5, hidden=4, steps=3)


@dataclass
class GatesResult:
    config: GatesConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    history: pd.DataFrame  # step, batch_loss, test_loss, test_score
    score: float  # on the test set at the end
    score_name: str  # "accuracy" or "mean squared error"
    trained_with: str  # which implementation trained
    steps_text: list[str]  # the inspected sequence: what each step shows
    target_text: list[str]  # its targets (many-to-one: only the last step's)
    output_text: list[str]  # the trained model's answers, likewise
    trace: dict[str, np.ndarray]  # every gate, state and pre-activation of the written-out cell: (T, H) each
    inputs: np.ndarray  # (T, I) the inspected sequence
    input_names: list[str]
    match_gap: float  # max |h| difference between the written-out cell and the layer that trained
    code: str  # the written-out cell

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def gates_steps(config: GatesConfig) -> int:
    return config.steps


def run_gates(config: GatesConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> GatesResult:
    """Train an LSTM (or GRU) on a memory task, then run one test sequence through the written-out cell."""
    task = _check(config.task, config.length, config.hidden, config.steps, config.lr, config.batch)
    if config.model not in ("lstm", "gru") or config.cell not in ("fused", "written"):
        raise ValueError("Choose the LSTM or the GRU, trained by torch.nn or by the written-out cell.")
    device = pick_device(config.device or None)
    generator = torch.Generator().manual_seed(config.seed)
    net = _net(config.model, task, config.hidden, generator, config.forget_bias, cell=config.cell).to(device)
    test = _test_set(task, config.length, config.seed, device)
    outcome = _fit(net, task, config.length, config.steps, config.lr, config.batch, generator, test,
                   Hooks(on_report, should_stop, deadline))
    x = test[0][:1]  # (1, T, I) the first test sequence
    with torch.no_grad():
        steps = {k: v[0].cpu().double().numpy() for k, v in trace(net, x).items()}  # (T, H) each
        output = net(x)[0]
        layer_h = net.rnn(x)[0][0]  # (T, H) what the layer that trained computed
    gap = float((torch.as_tensor(steps["h"]) - layer_h.cpu().double()).abs().max())
    steps = {k: np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0) for k, v in steps.items()}
    final = _evaluate(net, task, *test)["test_score"]
    fused = {"lstm": "torch.nn.LSTM", "gru": "torch.nn.GRU"}[config.model]
    trained_with = f"{fused} (PyTorch's fused layer)" if config.cell == "fused" else "the written-out cell below"
    return GatesResult(
        config, outcome.status, outcome.message, describe(device), outcome.seconds, outcome.steps_done,
        outcome.history, final if math.isfinite(final) else 0.0, task.score_name, trained_with,
        describe_inputs(task, x[0].cpu()), _targets(task, test[1][0].cpu(), config.length),
        _outputs(task, output.cpu(), config.length), steps, x[0].cpu().numpy(), list(task.input_names),
        gap if math.isfinite(gap) else 0.0, inspect.getsource(lstm_cell if config.model == "lstm" else gru_cell),
    )


def _label(task: SequenceTask, k: int) -> str:
    return task.class_names[k] if k < len(task.class_names) else str(k)


def _targets(task: SequenceTask, y: Tensor, length: int) -> list[str]:
    """One text per step: the target there, or '' where there is none."""
    if task.per_step:
        return [_label(task, int(v)) if task.classes else f"{float(v):.2f}" for v in y]
    last = _label(task, int(y)) if task.classes else f"{float(y):.2f}"
    return [""] * (length - 1) + [last]


def _outputs(task: SequenceTask, out: Tensor, length: int) -> list[str]:
    if task.classes:
        picks = out.argmax(-1)
        return _targets(task, picks, length)
    values = torch.nan_to_num(out.reshape(-1))
    return _targets(task, values if task.per_step else values[0], length)


# --- 2. RNN against GRU against LSTM, as T grows ------------------------------------------------------------


@dataclass(frozen=True)
class CompareConfig:
    task: str = "first"
    lengths: tuple[int, ...] = (5, 20, 40)  # sequence lengths T to train at
    kinds: tuple[str, ...] = ("rnn", "gru", "lstm")
    hidden: int = 16
    steps: int = 150  # per model
    lr: float = 0.01
    batch: int = 32
    forget_bias: float = 4.0  # as GatesConfig.forget_bias
    seed: int = 0  # every model starts from this seed
    device: str = ""


TINY_COMPARE = CompareConfig(lengths=(3,), hidden=4, steps=2)


@dataclass
class CompareResult:
    config: CompareConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    scores: pd.DataFrame  # kind, model, length, score, status, steps_done: one row per trained model
    history: pd.DataFrame  # run, kind, length, step, batch_loss, test_loss, test_score
    score_name: str
    code: str  # a standalone script that trains the same models

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def compare_steps(config: CompareConfig) -> int:
    return config.steps * len(config.lengths) * len(config.kinds)


def _run_name(kind: str, length: int) -> str:
    return f"{KINDS[kind]}, T = {length}"


def run_compare(config: CompareConfig, on_report: Report | None = None, should_stop=None,
                deadline=None) -> CompareResult:
    """Each kind at each length, in turn, under one Stop and one deadline."""
    if not config.lengths or not config.kinds or set(config.kinds) - set(KINDS):
        raise ValueError("Choose at least one length and one kind of network.")
    task = TASKS.get(config.task)
    for length in config.lengths:
        task = _check(config.task, length, config.hidden, config.steps, config.lr, config.batch)
    device = pick_device(config.device or None)
    job = InTurn(on_report, should_stop, deadline, "run")
    rows, frames, seconds = [], [], 0.0
    keys = [(length, kind) for length in sorted(config.lengths) for kind in config.kinds]
    for name, hooks in job.runs(_run_name(kind, length) for length, kind in keys):
        length, kind = keys[len(rows)]
        generator = torch.Generator().manual_seed(config.seed)
        net = _net(kind, task, config.hidden, generator, config.forget_bias).to(device)
        test = _test_set(task, length, config.seed, device)
        outcome = _fit(net, task, length, config.steps, config.lr, config.batch, generator, test, hooks)
        job.done(outcome.status, config.steps)
        score = _evaluate(net, task, *test)["test_score"] if outcome.status != "diverged" else math.nan
        if not math.isfinite(score):
            score = float(outcome.history["test_score"].iloc[-1]) if len(outcome.history) else 0.0
        rows.append({"kind": kind, "model": KINDS[kind], "length": length, "score": score,
                     "status": outcome.status, "steps_done": outcome.steps_done})
        frames.append(_tagged(outcome.history, (len(rows) - 1) * config.steps, run=name, kind=kind, length=length))
        seconds += outcome.seconds
    scores = pd.DataFrame(rows)
    status = job.status
    message = _compare_message(task, scores, status, config)
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return CompareResult(config, status, message, describe(device), seconds, int(scores["steps_done"].sum()),
                         scores, history, task.score_name, compare_code(config))


def compare_code(config: CompareConfig) -> str:
    """A standalone script that trains and scores every kind at every length, as run_compare does."""
    return f'''import torch

from engine.recurrent import SequenceNet, init_weights  # nn.RNN, nn.GRU or nn.LSTM and a linear head
from engine.sequence_tasks import TASKS

task = TASKS["{config.task}"]
for length in {tuple(sorted(config.lengths))}:
    test_generator = torch.Generator().manual_seed({config.seed + TEST_SEED_OFFSET})  # the test set's own
    X_test, y_test = task.make({TEST_SEQUENCES}, length, test_generator)
    for kind in {tuple(config.kinds)}:
        generator = torch.Generator().manual_seed({config.seed})  # every model starts alike
        net = SequenceNet(kind, task.inputs, {config.hidden}, task.classes or 1, task.per_step)
        # the memory bias b: LSTM forget gate +b and input gate -b, GRU update gate +b (the plain RNN has none)
        init_weights(net, generator, forget_bias={config.forget_bias:g})
{_script_train(" " * 8, "length", config.steps, config.lr, config.batch)}
        with torch.no_grad():
            print(f"T = {{length}}, {{kind}}: test {{task.score_name}} {{task.score(net(X_test), y_test):.3f}}")
'''


def _compare_message(task: SequenceTask, scores: pd.DataFrame, status: str, config: CompareConfig) -> str:
    trained = f"Trained {len(scores)} of {len(config.lengths) * len(config.kinds)} models"
    if status == "out of time":
        return f"{trained}: the run reached the server's time limit. Try fewer lengths or fewer steps."
    if status == "cancelled":
        return f"{trained}: stopped."
    longest = scores[scores["length"] == scores["length"].max()]
    best = longest["score"].max() if task.classes else longest["score"].min()
    winners = [f"the {model}" for model in longest.loc[(longest["score"] - best).abs() < 1e-9, "model"]]
    diverged = " Some runs diverged; their last finite score is shown." if status == "diverged" else ""
    who = (f"{' and '.join(winners)} tied for best" if len(winners) > 1 else f"the best was {winners[0]}")
    return f"At T = {int(longest['length'].iloc[0])}, {who}, with {_score_text(task, best)}.{diverged}"


# --- 3. gradients through time -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowConfig:
    task: str = "first"
    length: int = 40
    hidden: int = 16
    steps: int = 150  # training before the second measurement
    lr: float = 0.01
    batch: int = 32
    forget_bias: float = 4.0  # as GatesConfig.forget_bias
    seed: int = 0
    device: str = ""


TINY_FLOW = FlowConfig(length=4, hidden=4, steps=2)


@dataclass
class FlowResult:
    config: FlowConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    norms: pd.DataFrame  # kind, model, t (1..T), when ("at initialization" or "after training"), norm
    scores: pd.DataFrame  # kind, model, score, status
    score_name: str
    code: str  # a standalone script that measures the same gradients

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def flow_steps(config: FlowConfig) -> int:
    return config.steps * len(KINDS)


def _last_step_loss(task: SequenceTask, y: Tensor):
    """The loss at the last step only, so that ‖∂L/∂x_t‖ measures how far back the last output reaches."""
    if task.per_step:
        return lambda out: task.loss(out[:, -1], y[:, -1])
    return lambda out: task.loss(out, y)


def run_flow(config: FlowConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> FlowResult:
    """‖∂L/∂x_t‖ for each step t, for each kind, at initialization and after training."""
    task = _check(config.task, config.length, config.hidden, config.steps, config.lr, config.batch)
    device = pick_device(config.device or None)
    test = _test_set(task, config.length, config.seed, device)
    job = InTurn(on_report, should_stop, deadline, "run")
    rows, scores, seconds = [], [], 0.0
    kinds = list(KINDS)
    for name, hooks in job.runs(KINDS[k] for k in kinds):
        kind = kinds[len(scores)]
        generator = torch.Generator().manual_seed(config.seed)
        net = _net(kind, task, config.hidden, generator, config.forget_bias).to(device)
        before = input_gradients(net, test[0], _last_step_loss(task, test[1]))
        outcome = _fit(net, task, config.length, config.steps, config.lr, config.batch, generator, test, hooks)
        job.done(outcome.status, config.steps)
        after = input_gradients(net, test[0], _last_step_loss(task, test[1]))
        for when, norms in (("at initialization", before), ("after training", after)):
            values = torch.nan_to_num(norms.double(), nan=0.0, posinf=0.0).cpu().numpy()
            rows += [{"kind": kind, "model": name, "t": t + 1, "when": when, "norm": float(v)}
                     for t, v in enumerate(values)]
        score = _evaluate(net, task, *test)["test_score"]
        scores.append({"kind": kind, "model": name, "score": score if math.isfinite(score) else 0.0,
                       "status": outcome.status})
        seconds += outcome.seconds
    norms, table = pd.DataFrame(rows), pd.DataFrame(scores)
    return FlowResult(config, job.status, _flow_message(norms, job.status), describe(device), seconds,
                      int(config.steps * len(scores)), norms, table, task.score_name, flow_code(config))


def flow_code(config: FlowConfig) -> str:
    """A standalone script that measures ‖∂L/∂x_t‖ before and after training, as run_flow does."""
    task = TASKS[config.task]
    at_end = "net(x)[:, -1], y_test[:, -1]" if task.per_step else "net(x), y_test"
    return f'''import torch

from engine.recurrent import SequenceNet, init_weights  # nn.RNN, nn.GRU or nn.LSTM and a linear head
from engine.sequence_tasks import TASKS

task = TASKS["{config.task}"]
test_generator = torch.Generator().manual_seed({config.seed + TEST_SEED_OFFSET})  # the test set's own
X_test, y_test = task.make({TEST_SEQUENCES}, {config.length}, test_generator)


def gradient_through_time(net):
    """‖∂L/∂x_t‖ for each step t, averaged over the test sequences; L is the loss at the last step."""
    x = X_test.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(task.loss({at_end}), x)  # (B, T, inputs)
    return grad.norm(dim=2).mean(dim=0)  # (T,)


for kind in ("rnn", "gru", "lstm"):
    generator = torch.Generator().manual_seed({config.seed})
    net = SequenceNet(kind, task.inputs, {config.hidden}, task.classes or 1, task.per_step)
    init_weights(net, generator, forget_bias={config.forget_bias:g})  # LSTM forget / GRU update gate open
    before = gradient_through_time(net)
{_script_train(" " * 4, str(config.length), config.steps, config.lr, config.batch)}
    after = gradient_through_time(net)
    print(f"{{kind}}: step 1 relative to step {config.length}: {{(before[0] / before[-1]).item():.1e}} at the start, "
          f"{{(after[0] / after[-1]).item():.1e}} after training")
'''


def _flow_message(norms: pd.DataFrame, status: str) -> str:
    if status in ("out of time", "cancelled"):
        return f"Stopped ({status}) after {norms['kind'].nunique()} of {len(KINDS)} networks."
    trained = norms[norms["when"] == "after training"]
    reach = {}
    for kind, part in trained.groupby("kind"):
        last = part["norm"].iloc[-1]
        first = part["norm"].iloc[0]
        reach[kind] = first / last if last > 0 else 0.0
    text = ", ".join(f"{KINDS[k]} {reach[k]:.1e}" for k in KINDS if k in reach)
    return f"After training, the gradient at the first step relative to the last: {text}."


# --- 4. exploding gradients: clipping and truncated backpropagation through time ------------------------------


@dataclass(frozen=True)
class ExplodeConfig:
    length: int = 100  # the sine's length T
    hidden: int = 32
    scale: float = 2.0  # each recurrent weight block starts as this multiple of an orthogonal matrix
    steps: int = 600  # parameter updates per run, the same for all three (truncated BPTT makes T/window per batch)
    lr: float = 0.1  # plain SGD, so that a huge gradient makes a huge step
    clip: float = 1.0  # clip_grad_norm_'s max_norm
    window: int = 10  # truncated BPTT: backpropagate through this many steps, then carry the state on detached
    batch: int = 32
    seed: int = 0
    device: str = ""


TINY_EXPLODE = ExplodeConfig(length=6, hidden=4, steps=2, window=3)
EXPLODE_RUNS = ("full BPTT, no clipping", "full BPTT, clipped", "truncated BPTT")


@dataclass
class ExplodeResult:
    config: ExplodeConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    history: pd.DataFrame  # run, step, run_step (updates), batch_loss, grad_norm (before clipping), applied_norm
    finals: pd.DataFrame  # run, loss, largest_norm, updates, batches, status
    code: str

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def explode_steps(config: ExplodeConfig) -> int:
    return config.steps * len(EXPLODE_RUNS)


def run_explode(config: ExplodeConfig, on_report: Report | None = None, should_stop=None,
                deadline=None) -> ExplodeResult:
    """A plain RNN whose recurrence stretches its state, on the noisy sine: trained three ways, `steps` updates each."""
    task = _check("sine", config.length, config.hidden, config.steps, config.lr, config.batch)
    if not (config.scale > 0 and config.clip > 0 and 1 <= config.window):
        raise ValueError("The recurrent scale, the clipping norm and the window must be positive.")
    device = pick_device(config.device or None)
    test = _test_set(task, config.length, config.seed, device)
    job = InTurn(on_report, should_stop, deadline, "run")
    frames, finals, seconds = [], [], 0.0
    for name, hooks in job.runs(EXPLODE_RUNS):
        generator = torch.Generator().manual_seed(config.seed)
        net = _net("rnn", task, config.hidden, generator, 0.0, recurrent_scale=config.scale).to(device)
        outcome, largest, batches = _explode_fit(net, task, config, name, generator, test, hooks)
        job.done(outcome.status, config.steps)
        loss = _evaluate(net, task, *test)["test_loss"]
        finals.append({"run": name, "loss": loss if math.isfinite(loss) else math.nan, "largest_norm": largest,
                       "updates": outcome.steps_done, "batches": batches, "status": outcome.status})
        frames.append(_tagged(outcome.history, (len(finals) - 1) * config.steps, run=name))
        seconds += outcome.seconds
    finals = pd.DataFrame(finals)
    finals["loss"] = finals["loss"].fillna(-1.0)  # -1: no finite loss (the page says "diverged")
    history = pd.concat(frames, ignore_index=True)
    return ExplodeResult(config, job.status, _explode_message(finals, config), describe(device), seconds,
                         int(history["step"].max()) if len(history) else 0, history, finals,
                         inspect.getsource(window_step) + "\n\n" + inspect.getsource(truncated_step))


def grad_norm(net: nn.Module) -> float:
    """The norm of all parameters' gradients together, as clip_grad_norm_ measures it."""
    norms = [p.grad.detach().norm() for p in net.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms)).item() if norms else 0.0


def window_step(net: SequenceNet, X: Tensor, y: Tensor, start: int, window: int, h: Tensor | None, optimizer,
                clip: float = 0.0) -> tuple[Tensor, float, float]:
    """One update of truncated BPTT: steps start..start+window, from the state h carried in (detached).

    Returns the state to carry on (detached), the gradient norm before clipping and the one the update used."""
    out, h = net.rnn(X[:, start:start + window], h)  # (B, window, H)
    loss = nn.functional.mse_loss(net.head(out)[..., 0], y[:, start:start + window])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # gradients flow back through this window only
    before = nn.utils.clip_grad_norm_(net.parameters(), clip if clip > 0 else math.inf).item()
    after = grad_norm(net)  # measured again, after clipping
    optimizer.step()
    return h.detach(), before, after  # the next window starts from this state, but no gradient crosses the cut


def truncated_step(net: SequenceNet, X: Tensor, y: Tensor, window: int, optimizer, clip: float = 0.0) -> list[float]:
    """Truncated BPTT over one batch: an update per window of steps (T/window of them), the state carried on."""
    h, norms = None, []
    for start in range(0, X.shape[1], window):
        h, before, _ = window_step(net, X, y, start, window, h, optimizer, clip)
        norms.append(before)
    return norms


def _explode_fit(net: SequenceNet, task: SequenceTask, config: ExplodeConfig, name: str, generator: torch.Generator,
                 test: tuple[Tensor, Tensor], hooks: Hooks) -> tuple[TrainOutcome, float, int]:
    """`config.steps` SGD updates: one per batch for full BPTT, one per window of a batch for truncated BPTT."""
    optimizer = torch.optim.SGD(net.parameters(), lr=config.lr)
    clip = config.clip if name == "full BPTT, clipped" else 0.0
    norms: dict[str, float] = {"grad": 0.0, "applied": 0.0, "largest": 0.0}
    carried: dict = {"batch": None, "start": 0, "h": None, "batches": 0}

    def next_batch() -> tuple[Tensor, Tensor]:
        carried["batches"] += 1
        return tuple(t.to(test[0].device) for t in task.make(config.batch, config.length, generator))

    def step(_: int) -> float:
        if name == "truncated BPTT":
            if carried["start"] == 0:
                carried["batch"], carried["h"] = next_batch(), None
            X, y = carried["batch"]
            with torch.no_grad():
                value = task.loss(net(X), y).item()  # the whole batch's loss, with the weights before this update
            if not math.isfinite(value):
                return value
            carried["h"], grad, applied = window_step(net, X, y, carried["start"], config.window, carried["h"],
                                                      optimizer)
            carried["start"] += config.window
            if carried["start"] >= config.length:  # the batch's last window: the next update draws a new batch
                carried["start"] = 0
        else:
            X, y = next_batch()
            loss = task.loss(net(X), y)
            value = loss.item()
            if not math.isfinite(value):
                return value
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad = nn.utils.clip_grad_norm_(net.parameters(), clip if clip > 0 else math.inf).item()
            applied = grad_norm(net)  # measured after clipping: at most `clip` when it clips
            optimizer.step()
        if math.isfinite(grad) and math.isfinite(applied):
            norms["grad"], norms["applied"] = grad, applied
            norms["largest"] = max(norms["largest"], grad)
        return value

    def measure(_: int, __: float) -> dict:
        return {"grad_norm": norms["grad"], "applied_norm": norms["applied"]} | _evaluate(net, task, *test)

    outcome = loop(step, config.steps, REPORT_EVERY // 5, hooks, measure,
                   advice="Clip the gradient, or start the recurrence with a smaller scale.")
    return outcome, norms["largest"], carried["batches"]


def _explode_message(finals: pd.DataFrame, config: ExplodeConfig) -> str:
    parts = []
    for row in finals.itertuples():
        loss = "diverged" if row.loss < 0 else f"test loss {row.loss:.3f}"
        parts.append(f"{row.run}: largest gradient norm {row.largest_norm:.3g}, {loss}")
    return (f"{config.steps} updates per run (truncated BPTT makes one per window of {config.window} steps, so it "
            f"reads fewer batches). " + "; ".join(parts) + ".")


# --- 5. bidirectional ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BiConfig:
    task: str = "lookahead"
    length: int = 20
    hidden: int = 16
    steps: int = 200
    lr: float = 0.01
    batch: int = 32
    seed: int = 0
    device: str = ""


TINY_BI = BiConfig(length=4, hidden=4, steps=2)
BI_RUNS = ("LSTM, one direction", "LSTM, bidirectional")


@dataclass
class BiResult:
    config: BiConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    history: pd.DataFrame  # run, step, run_step, batch_loss, test_loss, test_score
    per_step: pd.DataFrame  # run, t, score: the test score at each position of the sequence
    score_name: str
    code: str  # a standalone script that trains both

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def bi_steps(config: BiConfig) -> int:
    return config.steps * len(BI_RUNS)


def run_bidirectional(config: BiConfig, on_report: Report | None = None, should_stop=None,
                      deadline=None) -> BiResult:
    """The same LSTM one way and both ways, on a task whose answer lies ahead."""
    task = _check(config.task, config.length, config.hidden, config.steps, config.lr, config.batch)
    if not task.per_step:
        raise ValueError("A bidirectional model labels every step: choose a task with a target at every step.")
    device = pick_device(config.device or None)
    test = _test_set(task, config.length, config.seed, device)
    job = InTurn(on_report, should_stop, deadline, "run")
    frames, per_step, seconds = [], [], 0.0
    for name, hooks in job.runs(BI_RUNS):
        generator = torch.Generator().manual_seed(config.seed)
        net = _net("lstm", task, config.hidden, generator, 1.0, bidirectional=name.endswith("bidirectional"))
        net = net.to(device)
        outcome = _fit(net, task, config.length, config.steps, config.lr, config.batch, generator, test, hooks)
        job.done(outcome.status, config.steps)
        with torch.no_grad():
            out = net(test[0])  # (n, T, classes or 1)
        for t in range(config.length):
            score = task.score(out[:, t], test[1][:, t])
            per_step.append({"run": name, "t": t + 1, "score": score if math.isfinite(score) else 0.0})
        frames.append(_tagged(outcome.history, len(frames) * config.steps, run=name))
        seconds += outcome.seconds
    history = pd.concat(frames, ignore_index=True)
    per_step = pd.DataFrame(per_step)
    means = per_step.groupby("run", sort=False)["score"].mean()
    message = "; ".join(f"{run}: {_score_text(task, score)}" for run, score in means.items()) + "."
    return BiResult(config, job.status, message, describe(device), seconds, int(config.steps * len(means)),
                    history, per_step, task.score_name, bi_code(config))


def bi_code(config: BiConfig) -> str:
    """A standalone script that trains the LSTM one way and both ways and scores each position, as the page does."""
    return f'''import torch

from engine.recurrent import SequenceNet, init_weights  # nn.LSTM(..., bidirectional=...) and a head on every step
from engine.sequence_tasks import TASKS

task = TASKS["{config.task}"]
test_generator = torch.Generator().manual_seed({config.seed + TEST_SEED_OFFSET})  # the test set's own
X_test, y_test = task.make({TEST_SEQUENCES}, {config.length}, test_generator)
for bidirectional in (False, True):
    generator = torch.Generator().manual_seed({config.seed})
    net = SequenceNet("lstm", task.inputs, {config.hidden}, task.classes or 1, task.per_step, bidirectional)
    init_weights(net, generator, forget_bias=1.0)
{_script_train(" " * 4, str(config.length), config.steps, config.lr, config.batch)}
    with torch.no_grad():
        out = net(X_test)  # (B, T, classes): the head reads 2H features per step when bidirectional
    scores = [round(task.score(out[:, t], y_test[:, t]), 2) for t in range({config.length})]
    print("bidirectional" if bidirectional else "one direction", scores)
'''

