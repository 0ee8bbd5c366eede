"""The Activation functions page's parameters, each declared once, its tasks, and their configs."""

from engine.activation_demo import MLPDemoConfig, XorConfig, run, run_xor
from engine.activations import ACTIVATION_NAMES, ACTIVATIONS
from engine.datasets import DATASETS
from engine.trainer import OPTIMIZERS, TrainSettings
from ui.params import Choice, ChoiceEach, ChoiceList, Number, Text
from ui.topics import DemoTask

BATCH_SIZES = (0, 8, 16, 32, 64, 128, 256, 512)  # 0 is full batch
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)
MAX_DEPTH = 8


def _activation(name) -> str:
    return ACTIVATIONS[name].label


PARAMS = {
    # Function explorer
    "fns": ChoiceList("Functions", ("sigmoid", "tanh", "relu"), ACTIVATION_NAMES, 0, len(ACTIVATION_NAMES),
                      display=_activation),
    "xrange": Number("x from −r to r", 6.0, 1.0, 20.0, step=0.5),
    "slope": Number("Leaky ReLU slope α", 0.01, 0.0, 0.5, step=0.01,
                    help="Used by the explorer and by every Leaky ReLU layer of the network."),
    "k": Number("Maxout pieces k", 2, 2, 6, integer=True,
                help="Used by the explorer and by every maxout layer of the network."),
    # Softmax
    "logits": Text("Logits z (numbers separated by commas)", "2, 1, 0.1"),
    "temp": Number("Temperature T", 1.0, 0.05, 10.0, step=0.05),
    # Network demo
    "data": Choice("Dataset", "spiral", tuple(DATASETS), display=lambda d: DATASETS[d].label),
    "noise": Number("Noise", 0.1, 0.0, 0.5, step=0.01),
    "classes": Number("Classes", 3, 2, 5, integer=True, help="XOR, circles and moons always have two classes."),
    "depth": Number("Hidden layers", 3, 0, MAX_DEPTH, integer=True,
                    help="0 hidden layers is a single-layer perceptron (logistic regression)."),
    "width": Number("Units per hidden layer", 16, 1, 64, integer=True),
    "acts": ChoiceEach("Layer {i}", ("relu", "relu", "relu"), ACTIVATION_NAMES, "depth", MAX_DEPTH,
                       display=_activation),
    "opt": Choice("Optimizer", "adam", tuple(OPTIMIZERS), display=lambda o: OPTIMIZERS[o].label),
    "lr": Number("Learning rate", 0.01, 0.0001, 100.0, allowed=LEARNING_RATES, display=lambda v: f"{v:g}"),
    "steps": Number("Steps", 300, 10, 3000, step=10, integer=True),
    "batch": Number("Batch size", 0, 0, 512, integer=True, allowed=BATCH_SIZES,
                    display=lambda b: "full batch" if b == 0 else str(b)),
    "seed": Number("Seed", 0, 0, 9999, step=1, integer=True, box=True),
    # XOR side by side
    "xact": Choice("Hidden-layer activation", "tanh", ACTIVATION_NAMES, display=_activation),
    "xwidth": Number("Hidden units", 4, 2, 16, integer=True),
}


def network_config(values: dict) -> MLPDemoConfig:
    """The network demo's config from the page's values."""
    acts = values["acts"]
    uses = {ACTIVATIONS[name].uses for name in acts}
    fixed = DATASETS[values["data"]].fixed_classes
    return MLPDemoConfig(
        dataset=values["data"], noise=values["noise"], classes=fixed or values["classes"], activations=acts,
        width=values["width"],
        # The explorer's settings matter to the network only when a layer uses them.
        slope=values["slope"] if "slope" in uses else PARAMS["slope"].default,
        maxout_k=values["k"] if "k" in uses else PARAMS["k"].default,
        train=TrainSettings(steps=values["steps"], batch_size=values["batch"], optimizer=values["opt"],
                            lr=values["lr"]),
        seed=int(values["seed"]),
    )


def xor_config(values: dict) -> XorConfig:
    return XorConfig(hidden_activation=values["xact"], width=values["xwidth"])


TASKS = (
    DemoTask(run, network_config, MLPDemoConfig(points=40, train=TrainSettings(steps=2))),
    DemoTask(run_xor, xor_config, XorConfig(steps=2)),
)
