"""The Activation functions page's URL parameters: names, defaults and limits."""

from engine.activations import ACTIVATION_NAMES
from engine.datasets import DATASETS
from engine.trainer import OPTIMIZERS
from ui.url_params import Choice, ChoiceList, Number, Text

PAGE = "activations"  # url path of the page
HIDDEN_ACTIVATIONS = ACTIVATION_NAMES
BATCH_SIZES = (0, 8, 16, 32, 64, 128, 256, 512)  # 0 is full batch
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)

PARAMS = {
    # Function explorer
    "fns": ChoiceList(("sigmoid", "tanh", "relu"), ACTIVATION_NAMES, 0, len(ACTIVATION_NAMES), unique=True),
    "xrange": Number(6.0, 1.0, 20.0),  # plot x from -xrange to +xrange
    "slope": Number(0.01, 0.0, 0.5),  # Leaky ReLU's negative slope (explorer and network)
    "k": Number(2, 2, 6, integer=True),  # maxout pieces (explorer and network)
    # Softmax
    "logits": Text("2, 1, 0.1"),
    "temp": Number(1.0, 0.05, 10.0),
    # Network demo
    "data": Choice("spiral", tuple(DATASETS)),
    "noise": Number(0.1, 0.0, 0.5),
    "classes": Number(3, 2, 5, integer=True),  # spiral and blobs only
    "depth": Number(3, 0, 8, integer=True),  # hidden layers; 0 is a single-layer perceptron
    "width": Number(16, 1, 64, integer=True),
    "acts": ChoiceList(("relu", "relu", "relu"), HIDDEN_ACTIVATIONS, 0, 8),  # layer 1 first; the last repeats
    "opt": Choice("adam", tuple(OPTIMIZERS)),
    "lr": Number(0.01, 0.0001, 100.0, allowed=LEARNING_RATES),
    "steps": Number(300, 10, 3000, integer=True),
    "batch": Number(0, 0, 512, integer=True, allowed=BATCH_SIZES),
    "seed": Number(0, 0, 9999, integer=True),
    # XOR side by side
    "xact": Choice("tanh", HIDDEN_ACTIVATIONS),
    "xwidth": Number(4, 2, 16, integer=True),
}
