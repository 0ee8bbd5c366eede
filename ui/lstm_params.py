"""The Recurrent networks page's parameters, each declared once, its tasks, and their configs."""

from engine.recurrent import KINDS
from engine.recurrent_demos import (
    TINY_BI,
    TINY_COMPARE,
    TINY_EXPLODE,
    TINY_FLOW,
    TINY_GATES,
    BiConfig,
    CompareConfig,
    ExplodeConfig,
    FlowConfig,
    GatesConfig,
    run_bidirectional,
    run_compare,
    run_explode,
    run_flow,
    run_gates,
)
from engine.sequence_tasks import TASKS as SEQUENCE_TASKS
from ui.params import Choice, ChoiceList, Number
from ui.topics import DemoTask

MEMORY_TASKS = ("first", "adding", "brackets", "sine")  # the look-ahead task belongs to the bidirectional section
TASK_LABELS = {name: SEQUENCE_TASKS[name].label for name in SEQUENCE_TASKS}
MODELS = {"lstm": "LSTM", "gru": "GRU"}
CELLS = {"fused": "torch.nn (fused, faster)", "written": "the written-out cell"}
LENGTHS = ("5", "10", "20", "40", "80")
LRS = (0.001, 0.003, 0.01, 0.03, 0.1)
HIDDEN = (2, 4, 8, 16, 32, 64)


def _g(v) -> str:
    return f"{v:g}"


MEMORY_BIAS_HELP = ("The bias that keeps memory, the same for both gated cells. LSTM: the forget gate starts at σ(b) "
                    "and the input gate at σ(−b). GRU: the update gate starts at σ(b), so it keeps σ(b) of its old "
                    "state and writes σ(−b) of the candidate. b = 0 keeps half and writes half at each step; b = 4 "
                    "keeps 98% and writes 2%. The plain RNN has no gate to bias.")

PARAMS = {
    # Train, then look inside
    "task": Choice("Memory task", "first", MEMORY_TASKS, display=TASK_LABELS.get),
    "model": Choice("Cell", "lstm", tuple(MODELS), display=MODELS.get),
    "cell": Choice("Trained by", "fused", tuple(CELLS), display=CELLS.get,
                   help="Both compute the same thing; the page inspects with the written-out cell either way."),
    "T": Number("Sequence length T", 20, 2, 100, integer=True),
    "hidden": Number("Hidden units", 16, 2, 64, integer=True, allowed=HIDDEN),
    "steps": Number("Steps", 300, 10, 1000, step=10, integer=True),
    "lr": Number("Learning rate (Adam)", 0.01, 0.001, 0.1, allowed=LRS, display=_g),
    "fb": Number("Memory gate bias b at the start", 4.0, 0.0, 6.0, step=0.5, help=MEMORY_BIAS_HELP),
    "seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    # RNN against GRU against LSTM
    "cmp_task": Choice("Memory task", "first", MEMORY_TASKS, display=TASK_LABELS.get),
    "cmp_lengths": ChoiceList("Sequence lengths T", ("5", "20", "40"), LENGTHS, min_items=1, max_items=5),
    "cmp_steps": Number("Steps per model", 150, 10, 1000, step=10, integer=True),
    "cmp_fb": Number("Memory gate bias b at the start (LSTM and GRU)", 4.0, 0.0, 6.0, step=0.5,
                     help=MEMORY_BIAS_HELP),
    # Gradients through time
    "flow_T": Number("Sequence length T", 40, 2, 100, integer=True),
    "flow_steps": Number("Training steps before the second measurement", 150, 10, 1000, step=10, integer=True),
    # Exploding gradients
    "ex_scale": Number("Recurrent weights' scale at the start", 2.0, 0.5, 4.0, step=0.25,
                       help="Each recurrent weight matrix starts as this multiple of a random rotation: above 1 it "
                            "stretches the hidden state at every step."),
    "ex_clip": Number("Clip the gradient norm at", 1.0, 0.1, 10.0, step=0.1),
    "ex_window": Number("Truncated BPTT window (steps)", 10, 1, 100, integer=True),
    "ex_steps": Number("Updates per run", 600, 10, 1000, step=10, integer=True,
                       help="Every run makes this many SGD updates: full BPTT one per batch, truncated BPTT one "
                            "per window."),
    # Bidirectional
    "bi_T": Number("Sequence length T", 20, 4, 100, integer=True),
    "bi_steps": Number("Steps", 200, 10, 1000, step=10, integer=True),
}


def gates_config(values: dict) -> GatesConfig:
    return GatesConfig(task=values["task"], model=values["model"], cell=values["cell"], length=values["T"],
                       hidden=values["hidden"], steps=values["steps"], lr=values["lr"], forget_bias=values["fb"],
                       seed=int(values["seed"]))


def compare_config(values: dict) -> CompareConfig:
    lengths = tuple(sorted(int(v) for v in values["cmp_lengths"]))
    return CompareConfig(task=values["cmp_task"], lengths=lengths, steps=values["cmp_steps"],
                         forget_bias=values["cmp_fb"], kinds=tuple(KINDS))


def flow_config(values: dict) -> FlowConfig:
    return FlowConfig(length=values["flow_T"], steps=values["flow_steps"])


def explode_config(values: dict) -> ExplodeConfig:
    return ExplodeConfig(scale=values["ex_scale"], clip=values["ex_clip"], window=values["ex_window"],
                         steps=values["ex_steps"])


def bi_config(values: dict) -> BiConfig:
    return BiConfig(length=values["bi_T"], steps=values["bi_steps"])


TASKS = (
    DemoTask(run_gates, gates_config, TINY_GATES),
    DemoTask(run_compare, compare_config, TINY_COMPARE),
    DemoTask(run_flow, flow_config, TINY_FLOW),
    DemoTask(run_explode, explode_config, TINY_EXPLODE),
    DemoTask(run_bidirectional, bi_config, TINY_BI),
)
