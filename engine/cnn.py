"""A small CNN trained live on the bundled digits, and what it shows: filters, feature maps, receptive fields,
a dense network beside it, transfer learning, data augmentation, one filter over three channels, and the
parameter counts of the classic architectures built from their real layer definitions.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.conv_arithmetic import Field, Layer, output_size, receptive_fields
from engine.device import describe, pick_device
from engine.images import SIDE, Digits, digits, to_tensor
from engine.trainer import Hooks, InTurn, Report, TrainOutcome, TrainSettings, train

POOLS = {"max": "max pooling", "avg": "average pooling", "none": "no pooling"}
PADDINGS = {"same": "SAME (keep the size)", "valid": "VALID (no padding)"}
MAX_LAYERS = 4
STAGES = ("conv", "relu", "pool")  # what each block computes, in order
STAGE_LABELS = {"conv": "after the convolution", "relu": "after ReLU", "pool": "after pooling"}


# --- the network --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CNNConfig:
    layers: int = 2  # conv blocks: conv → ReLU → pool
    filters: int = 8  # filters in the first conv layer; each later layer has twice as many
    kernel: int = 5  # kernel size k × k (odd, so SAME pads k // 2 on each side)
    stride: int = 1  # of every conv layer
    padding: str = "same"  # "same" or "valid"
    pool: str = "max"  # "max", "avg" or "none": a 2 × 2 window, stride 2, after every block
    steps: int = 800  # Adam updates: 800 × 32 images = 6.4 passes over the 4,000 training images
    batch: int = 32  # images per update
    lr: float = 0.001  # Adam's learning rate: small enough that the last steps do not shake the test accuracy
    seed: int = 0  # the weights and the order of the batches
    test_images: int = 1000  # of the fixed test set, scored at every report (fewer for quick checks)
    device: str = ""  # "" picks the best available


TINY = CNNConfig(steps=3, filters=2, test_images=50)


def channels(config: CNNConfig) -> list[int]:
    """Output channels of each conv layer: filters, 2 × filters, 4 × filters, …"""
    return [config.filters * 2**i for i in range(config.layers)]


def layer_sizes(config: CNNConfig) -> list[tuple[int, int]]:
    """(after the conv, after the pooling) side of each block's feature maps; a ValueError when nothing is left."""
    _check(config)
    size, sizes = SIDE, []
    pad = config.kernel // 2 if config.padding == "same" else 0
    for i in range(config.layers):
        conv = output_size(size, config.kernel, config.stride, pad)
        pooled = output_size(conv, 2, 2) if config.pool != "none" else conv
        if conv < 1 or pooled < 1:
            no_pad = ", no padding" if pad == 0 else ""
            pooling = " and 2 × 2 pooling" if config.pool != "none" else ""
            raise ValueError(f"The feature maps shrink to nothing in conv layer {i + 1} (a {size} × {size} input, "
                             f"a {config.kernel} × {config.kernel} kernel, stride {config.stride}{no_pad}{pooling}). "
                             "Use fewer layers, SAME padding, a smaller kernel or stride 1.")
        sizes.append((conv, pooled))
        size = pooled
    return sizes


def _check(config: CNNConfig) -> None:
    problems = {
        not 1 <= config.layers <= MAX_LAYERS: f"Choose from 1 to {MAX_LAYERS} conv layers.",
        not 1 <= config.filters <= 64: "Choose from 1 to 64 filters.",
        config.kernel < 1 or config.kernel % 2 == 0: "Choose an odd kernel size.",
        not 1 <= config.stride <= 4: "Choose a stride from 1 to 4.",
        config.padding not in PADDINGS: f"Choose padding {' or '.join(PADDINGS)}.",
        config.pool not in POOLS: f"Choose pooling {', '.join(POOLS)}.",
        config.steps < 1: "Train for at least 1 step.",
        config.batch < 1: "Use at least 1 image per batch.",
        not (config.lr > 0 and math.isfinite(config.lr)): "The learning rate must be a positive number.",
    }
    for bad, sentence in problems.items():
        if bad:
            raise ValueError(sentence)


class DigitCNN(nn.Module):
    """Conv blocks (conv → ReLU → 2 × 2 pool), then flatten and one fully connected layer to the classes."""

    def __init__(self, config: CNNConfig, classes: int = 10):
        super().__init__()
        sizes = layer_sizes(config)
        pad = config.kernel // 2 if config.padding == "same" else 0
        blocks, c_in = [], 1
        for c_out in channels(config):
            pool = {"max": nn.MaxPool2d(2), "avg": nn.AvgPool2d(2), "none": nn.Identity()}[config.pool]
            blocks.append(nn.Sequential(nn.Conv2d(c_in, c_out, config.kernel, config.stride, pad), nn.ReLU(), pool))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.flat = c_in * sizes[-1][1] ** 2  # the features the last block hands the classifier
        self.head = nn.Linear(self.flat, classes)

    def forward(self, x: Tensor) -> Tensor:  # (N, 1, 28, 28) -> (N, classes)
        for block in self.blocks:
            x = block(x)
        return self.head(x.flatten(1))

    def stages(self, x: Tensor) -> list[dict[str, Tensor]]:
        """Every block's maps after the conv, after ReLU and after pooling: (N, C, H, W) each."""
        out = []
        for block in self.blocks:
            conv, relu, pool = block
            a = conv(x)
            b = relu(a)
            x = pool(b)
            out.append({"conv": a, "relu": b, "pool": x})
        return out


class DenseNet(nn.Module):
    """A multilayer perceptron on the flattened 784 pixels."""

    def __init__(self, hidden: int, classes: int = 10):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def build(config: CNNConfig, classes: int = 10, seed: int | None = None) -> DigitCNN:
    torch.manual_seed(config.seed if seed is None else seed)
    return DigitCNN(config, classes)


def as_arrays(net: nn.Module) -> dict[str, np.ndarray]:
    """The weights as plain numpy arrays, for the job result."""
    return {name: t.detach().cpu().numpy().copy() for name, t in net.state_dict().items()}


def from_arrays(config: CNNConfig, weights: dict[str, np.ndarray], classes: int = 10) -> DigitCNN:
    net = DigitCNN(config, classes)
    net.load_state_dict({name: torch.as_tensor(a) for name, a in weights.items()})
    return net.eval()


# --- 1. train live, then look inside ----------------------------------------------------------------------------

REPORT_EVERY = 50  # steps between test evaluations


@dataclass
class TrainResult:
    config: CNNConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    history: pd.DataFrame  # step, batch_loss, test_loss, test_acc
    accuracy: float  # on the 1,000 test images at the end
    parameters: int
    weights: dict[str, np.ndarray]  # the trained network, to look inside it in the page
    confusion: np.ndarray  # (10, 10) true digit × predicted digit, counts
    shapes: list[tuple[int, int]]  # (after conv, after pool) side per block
    code: str

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"

    @property
    def learned_nothing(self) -> bool:
        """Test accuracy near chance (10%) after the run: the sign of a learning rate far too large."""
        return self.accuracy < 0.2


def train_steps(config: CNNConfig) -> int:
    return config.steps


@torch.no_grad()
def evaluate(net: nn.Module, X: Tensor, y: Tensor) -> dict:
    net.eval()
    out = net(X)
    net.train()
    return {"test_loss": F.cross_entropy(out, y).item(), "test_acc": (out.argmax(1) == y).float().mean().item()}


def tensors(data: Digits, device: torch.device, test_images: int = 1000) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Training and test images and labels, standardized, on the device; `test_images` of the test set, spread
    evenly over it (it is stored digit by digit, so every digit keeps its share)."""
    n = len(data.y_test)
    keep = np.linspace(0, n - 1, max(1, min(test_images, n))).round().astype(int)
    return (to_tensor(data.X_train, data).to(device), torch.as_tensor(data.y_train).to(device),
            to_tensor(data.X_test[keep], data).to(device), torch.as_tensor(data.y_test[keep]).to(device))


def fit(net: nn.Module, X: Tensor, y: Tensor, steps: int, batch: int, lr: float, seed: int, test: tuple[Tensor, Tensor],
        hooks: Hooks, report_every: int = REPORT_EVERY) -> TrainOutcome:
    """Adam on minibatches through the kit's trainer; the test set scored at every report."""
    settings = TrainSettings(steps=steps, batch_size=batch, optimizer="adam", lr=lr, report_every=report_every)
    return train(net, X, y, F.cross_entropy, settings, torch.Generator().manual_seed(seed),
                 lambda i, loss: evaluate(net, *test), hooks)


def run_train(config: CNNConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> TrainResult:
    """Train the CNN on the digits; hand back its history, test accuracy and weights."""
    sizes = layer_sizes(config)
    device = pick_device(config.device or None)
    data = digits()
    X, y, X_test, y_test = tensors(data, device, config.test_images)
    net = build(config).to(device)
    outcome = fit(net, X, y, config.steps, config.batch, config.lr, config.seed, (X_test, y_test),
                  Hooks(on_report, should_stop, deadline))
    with torch.no_grad():
        net.eval()
        predicted = net(X_test).argmax(1).cpu().numpy()
    truth = y_test.cpu().numpy()
    message = outcome.message
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    accuracy = float((predicted == truth).mean())
    if outcome.status == "finished" and accuracy < 0.2:
        message += (f" Test accuracy stayed at chance ({accuracy:.0%}): the network learned nothing. A learning rate "
                    f"as large as {config.lr:g} can throw the weights so far in the first updates that a whole layer "
                    "of ReLUs goes dead (its feature maps below are blank); try a smaller one.")
    return TrainResult(config, outcome.status, message, describe(device), outcome.seconds, outcome.steps_done,
                       outcome.history, accuracy, count(net),
                       as_arrays(net.cpu()), confusion, sizes, train_code(config))


def train_code(config: CNNConfig) -> str:
    """The network and its training loop, as a script."""
    pad = config.kernel // 2 if config.padding == "same" else 0
    pool = {"max": "nn.MaxPool2d(2)", "avg": "nn.AvgPool2d(2)", "none": "nn.Identity()"}[config.pool]
    lines = ["import torch", "import torch.nn.functional as F", "from torch import nn", "",
             "# X: (4000, 1, 28, 28) training digits scaled to [0, 1] and standardized; y: their labels 0-9",
             f"torch.manual_seed({config.seed})", "net = nn.Sequential("]
    c_in = 1
    for c_out in channels(config):
        lines.append(f"    nn.Conv2d({c_in}, {c_out}, kernel_size={config.kernel}, stride={config.stride}, "
                     f"padding={pad}), nn.ReLU(), {pool},")
        c_in = c_out
    flat = c_in * layer_sizes(config)[-1][1] ** 2
    lines += [f"    nn.Flatten(), nn.Linear({flat}, 10),  # {c_in} maps of {layer_sizes(config)[-1][1]}² → 10 digits",
              ")",
              f"optimizer = torch.optim.Adam(net.parameters(), lr={config.lr:g})",
              f"generator = torch.Generator().manual_seed({config.seed})",
              "order = torch.randperm(len(X), generator=generator)",
              f"for step in range({config.steps}):",
              f"    start = step * {config.batch} % len(X)",
              "    if start == 0 and step:",
              "        order = torch.randperm(len(X), generator=generator)  # reshuffle every epoch",
              f"    idx = order[start:start + {config.batch}]",
              "    loss = F.cross_entropy(net(X[idx]), y[idx])",
              "    optimizer.zero_grad()",
              "    loss.backward()",
              "    optimizer.step()"]
    return "\n".join(lines)


@dataclass(frozen=True)
class Inside:
    """One image through the trained network."""

    maps: list[dict[str, np.ndarray]]  # per block: "conv", "relu", "pool" → (C, H, W)
    probabilities: np.ndarray  # (10,)
    input: np.ndarray  # (28, 28) the standardized input the network saw


def look_inside(config: CNNConfig, weights: dict[str, np.ndarray], digit: np.ndarray) -> Inside:
    """The feature maps of every block for one 28 × 28 digit, and the predicted probabilities."""
    net = from_arrays(config, weights)
    x = to_tensor(np.asarray(digit)[None])  # (1, 1, 28, 28)
    with torch.no_grad():
        stages = net.stages(x)
        probabilities = F.softmax(net(x), dim=1)[0].numpy()
    maps = [{name: t[0].numpy() for name, t in stage.items()} for stage in stages]
    return Inside(maps, probabilities, x[0, 0].numpy())


def filters(weights: dict[str, np.ndarray], layer: int) -> np.ndarray:
    """Conv layer `layer`'s (from 0) kernels: (filters, in channels, k, k)."""
    return weights[f"blocks.{layer}.0.weight"]


def cnn_fields(config: CNNConfig) -> list[Field]:
    """The receptive field of a unit after every conv and pooling layer of the chosen network."""
    pad = config.kernel // 2 if config.padding == "same" else 0
    layers = []
    for i in range(config.layers):
        layers.append(Layer(f"conv {i + 1}", config.kernel, config.stride, pad))
        if config.pool != "none":
            layers.append(Layer(f"pool {i + 1}", 2, 2))
    return receptive_fields(layers)


# --- 2. one filter over three channels (wrong answer #9) -------------------------------------------------------------


@dataclass(frozen=True)
class ChannelDemo:
    weight_shape: tuple[int, ...]  # (filters, in channels, k, k)
    names: list[str]  # each filter's name
    kernels: np.ndarray  # (filters, 3, k, k)
    partial: np.ndarray  # (filters, 3, H, W): each input channel's share of each filter's map
    maps: np.ndarray  # (filters, H, W): the sum over channels plus the bias
    torch_maps: np.ndarray  # (filters, H, W): what nn.Conv2d computed
    parameters: int
    code: str


CHANNEL_FILTERS = {  # filter name -> (R, G, B) 3 × 3 kernels
    "brightness edges (Sobel on R + G + B)": [np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 3.0] * 3,
    "red against blue (centre: R − B)": [np.pad([[1.0]], 1), np.zeros((3, 3)), np.pad([[-1.0]], 1)],
}


def channel_demo(image: np.ndarray) -> ChannelDemo:
    """An RGB image (H, W, 3) uint8 through nn.Conv2d(3, 2, 3): each filter spans all three channels, one map each."""
    x = torch.as_tensor(np.asarray(image, np.float64) / 255.0).permute(2, 0, 1)[None]  # (1, 3, H, W)
    kernels = torch.as_tensor(np.array([np.stack(k) for k in CHANNEL_FILTERS.values()]))  # (2, 3, 3, 3)
    conv = nn.Conv2d(3, len(CHANNEL_FILTERS), 3, padding=1).double()
    with torch.no_grad():
        conv.weight.copy_(kernels)
        conv.bias.zero_()
        maps = conv(x)[0]  # (2, H, W)
        partial = torch.stack([torch.stack([F.conv2d(x[:, c:c + 1], kernels[f:f + 1, c:c + 1], padding=1)[0, 0]
                                            for c in range(3)]) for f in range(len(kernels))])  # (2, 3, H, W)
    code = ("conv = nn.Conv2d(in_channels=3, out_channels=2, kernel_size=3, padding=1)\n"
            "print(conv.weight.shape)  # torch.Size([2, 3, 3, 3]): 2 filters, each 3 channels deep\n"
            "y = conv(x)                # x: (1, 3, H, W) → y: (1, 2, H, W), one map per filter\n"
            "# map f = Σ over channels c of (x[c] ⋆ weight[f, c]) + bias[f]\n"
            "by_hand = sum(F.conv2d(x[:, c:c+1], conv.weight[f:f+1, c:c+1], padding=1) for c in range(3)) "
            "+ conv.bias[f]")
    return ChannelDemo(tuple(conv.weight.shape), list(CHANNEL_FILTERS), kernels.numpy(), partial.numpy(),
                       partial.sum(1).numpy() + conv.bias.detach().numpy()[:, None, None], maps.numpy(),
                       count(conv), code)


# --- 3. CNN against a dense network -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersusConfig:
    cnn: CNNConfig = CNNConfig(steps=600)  # the chosen CNN (its steps are the comparison's)
    hidden: int = 128  # units in each of the dense network's two hidden layers
    shift: int = 2  # pixels the shifted test images move, right and down
    seed: int = 0
    device: str = ""


TINY_VERSUS = VersusConfig(cnn=CNNConfig(steps=3, filters=2, test_images=50), hidden=4)


@dataclass
class VersusResult:
    config: VersusConfig
    status: str
    message: str
    device: str
    history: pd.DataFrame  # step, run_step, model, batch_loss, test_loss, test_acc
    scores: pd.DataFrame  # model, parameters, test accuracy, shifted accuracy, seconds
    code: str
    steps_done: int = 0

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def versus_steps(config: VersusConfig) -> int:
    return 2 * config.cnn.steps


def _tagged(history: pd.DataFrame, offset: int, **columns) -> pd.DataFrame:
    """One run's history inside a job of several: `step` counts on from the runs before, `run_step` within it."""
    if history.empty:
        return history.assign(**columns)
    return history.assign(run_step=history["step"], step=history["step"] + offset, **columns)


def shifted(X: Tensor, pixels: int, background: float) -> Tensor:
    """Images moved `pixels` right and down, the uncovered strip filled with the background."""
    out = torch.full_like(X, background)
    out[..., pixels:, pixels:] = X[..., :SIDE - pixels, :SIDE - pixels]
    return out


def run_versus(config: VersusConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> VersusResult:
    """The chosen CNN and a two-hidden-layer dense network, trained alike on the same digits."""
    cnn_config = config.cnn
    layer_sizes(cnn_config)
    if not 1 <= config.hidden <= 2048 or not 0 <= config.shift < SIDE:
        raise ValueError("Choose 1 to 2,048 hidden units and a shift smaller than the image.")
    device = pick_device(config.device or None)
    data = digits()
    X, y, X_test, y_test = tensors(data, device, cnn_config.test_images)
    background = -data.mean / data.std  # a black pixel, standardized
    X_shift = shifted(X_test, config.shift, background)
    job, rows, histories, steps_done = InTurn(on_report, should_stop, deadline, "model"), [], [], 0
    makers = {"CNN": lambda: build(cnn_config, seed=config.seed), "dense": lambda: _dense(config)}
    for name, hooks in job.runs(makers):
        net = makers[name]().to(device)
        outcome = fit(net, X, y, cnn_config.steps, cnn_config.batch, cnn_config.lr, config.seed, (X_test, y_test),
                      hooks)
        histories.append(_tagged(outcome.history, job.offset, model=name))
        job.done(outcome.status, cnn_config.steps)
        steps_done += outcome.steps_done
        rows.append({"model": name, "parameters": count(net),
                     "test accuracy": evaluate(net, X_test, y_test)["test_acc"],
                     f"accuracy, shifted {config.shift} px": evaluate(net, X_shift, y_test)["test_acc"],
                     "seconds": outcome.seconds})
    status = job.status
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    message = {"finished": f"Both trained for {cnn_config.steps} steps of {cnn_config.batch} images with Adam."}.get(
        status, f"The comparison ended early: {status}.")
    h = config.hidden
    cnn_lines = train_code(cnn_config).split("net = ", 1)[1].split("\noptimizer", 1)[0]
    code = (f"cnn = {cnn_lines}\n"
            f"dense = nn.Sequential(nn.Flatten(), nn.Linear(784, {h}), nn.ReLU(),\n"
            f"                      nn.Linear({h}, {h}), nn.ReLU(), nn.Linear({h}, 10))\n"
            "for net in (cnn, dense):\n    print(sum(p.numel() for p in net.parameters()))")
    return VersusResult(config, status, message, describe(device), history, pd.DataFrame(rows), code, steps_done)


def _dense(config: VersusConfig) -> DenseNet:
    torch.manual_seed(config.seed)
    return DenseNet(config.hidden)


# --- 4. transfer learning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferConfig:
    pretrain_steps: int = 400  # on every training image of the digits 0-4
    shots: int = 10  # training images of each digit 5-9 for the new task
    steps: int = 150  # updates of each of the three ways on the new task
    lr: float = 0.003  # Adam, for pretraining, feature extraction and training from scratch
    fine_lr: float = 0.001  # fine-tuning starts from good weights: a smaller step
    seed: int = 0
    test_images: int = 1000  # of the fixed test set (half of them show 0-4, half 5-9)
    device: str = ""


TINY_TRANSFER = TransferConfig(pretrain_steps=2, shots=2, steps=2, test_images=50)
TRANSFER_RUNS = {"pretrain": "pretrained on 0-4", "frozen": "frozen conv layers (feature extraction)",
                 "finetune": "fine-tuned", "scratch": "from scratch"}
TRANSFER_CNN = CNNConfig()  # the default architecture


@dataclass
class TransferResult:
    config: TransferConfig
    status: str
    message: str
    device: str
    history: pd.DataFrame  # step, run_step, run, batch_loss, test_loss, test_acc
    finals: pd.DataFrame  # run, trained parameters, test accuracy
    pretrain_accuracy: float  # on the test digits 0-4
    code: str
    steps_done: int = 0

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def transfer_steps(config: TransferConfig) -> int:
    return config.pretrain_steps + 3 * config.steps


def _subset(X: Tensor, y: Tensor, digits_: range, per_class: int | None, generator: torch.Generator):
    """The images of these digits (each relabelled from 0), at most `per_class` of each, picked at random."""
    keep = []
    for d in digits_:
        idx = torch.nonzero(y == d).flatten()
        idx = idx[torch.randperm(len(idx), generator=generator)]
        keep.append(idx if per_class is None else idx[:per_class])
    keep = torch.cat(keep)
    return X[keep], y[keep] - digits_.start


def run_transfer(config: TransferConfig, on_report: Report | None = None, should_stop=None,
                 deadline=None) -> TransferResult:
    """Pretrain on 0-4, then learn 5-9 from a few images: frozen features, fine-tuned, or from scratch."""
    if config.shots < 1 or config.steps < 1 or config.pretrain_steps < 1 or not config.lr > 0 or not config.fine_lr > 0:
        raise ValueError("Use at least 1 image per digit, 1 step and positive learning rates.")
    device = pick_device(config.device or None)
    X, y, X_test, y_test = tensors(digits(), device, config.test_images)
    g = torch.Generator().manual_seed(config.seed)
    old, old_test = _subset(X, y, range(0, 5), None, g), _subset(X_test, y_test, range(0, 5), None, g)
    new, new_test = _subset(X, y, range(5, 10), config.shots, g), _subset(X_test, y_test, range(5, 10), None, g)
    job = InTurn(on_report, should_stop, deadline, "run")
    histories, finals, pretrained, pretrain_acc, steps_done = [], [], None, 0.0, 0
    batch = min(TRANSFER_CNN.batch, len(new[0]))
    for key, hooks in job.runs(TRANSFER_RUNS):
        if key == "pretrain":
            net = build(TRANSFER_CNN, classes=5, seed=config.seed).to(device)
            outcome = fit(net, *old, config.pretrain_steps, TRANSFER_CNN.batch, config.lr, config.seed, old_test,
                          hooks, report_every=25)
            pretrained, pretrain_acc = net, evaluate(net, *old_test)["test_acc"]
            planned = config.pretrain_steps
        else:
            net = _adapted(key, pretrained, config, device)
            lr = config.fine_lr if key == "finetune" else config.lr
            outcome = fit(net, *new, config.steps, batch, lr, config.seed, new_test, hooks, report_every=10)
            trained = sum(p.numel() for p in net.parameters() if p.requires_grad)
            finals.append({"run": TRANSFER_RUNS[key], "trained parameters": trained,
                           "test accuracy on 5-9": evaluate(net, *new_test)["test_acc"]})
            planned = config.steps
        histories.append(_tagged(outcome.history, job.offset, run=TRANSFER_RUNS[key]))
        job.done(outcome.status, planned)
        steps_done += outcome.steps_done
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    status = job.status
    message = (f"Pretrained for {config.pretrain_steps} steps on 2,000 images of 0-4; then each way had "
               f"{5 * config.shots} images of 5-9 ({config.shots} of each) and {config.steps} steps."
               if status == "finished" else f"Transfer learning ended early: {status}.")
    return TransferResult(config, status, message, describe(device), history, pd.DataFrame(finals), pretrain_acc,
                          _transfer_code(config), steps_done)


def _adapted(key: str, pretrained: DigitCNN | None, config: TransferConfig, device: torch.device) -> DigitCNN:
    """A network for 5-9: a fresh 5-way head on the pretrained blocks (frozen or not), or all fresh."""
    net = build(TRANSFER_CNN, classes=5, seed=config.seed + 1).to(device)
    if key == "scratch" or pretrained is None:
        return net
    net.blocks.load_state_dict(pretrained.blocks.state_dict())
    if key == "frozen":
        for p in net.blocks.parameters():
            p.requires_grad_(False)  # feature extraction: only the new head learns
    return net


def _transfer_code(config: TransferConfig) -> str:
    return "\n".join([
        "pretrained = make_cnn(classes=5)   # trained on the digits 0-4",
        f"train(pretrained, X_0to4, y_0to4, steps={config.pretrain_steps}, lr={config.lr:g})",
        "",
        "net = make_cnn(classes=5)          # a fresh head for the digits 5-9",
        "net.blocks.load_state_dict(pretrained.blocks.state_dict())",
        "# feature extraction: freeze the conv layers, train only the new head",
        "for p in net.blocks.parameters():",
        "    p.requires_grad_(False)",
        f"train(net, X_5to9_few, y_5to9_few, steps={config.steps}, lr={config.lr:g})",
        "",
        "# fine-tuning: the same start, nothing frozen, a smaller learning rate",
        f"train(net_finetuned, X_5to9_few, y_5to9_few, steps={config.steps}, lr={config.fine_lr:g})",
    ])


# --- 5. data augmentation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AugmentConfig:
    train_size: int = 300  # training images (30 of each digit): augmentation matters most with few
    steps: int = 400  # updates for each of the two networks
    shift: int = 3  # largest shift, pixels, in x and y
    rotation: float = 15.0  # largest rotation, degrees, either way
    noise: float = 0.1  # standard deviation of added noise, in units of the 0-1 pixel scale
    seed: int = 0
    test_images: int = 1000  # of the fixed test set
    device: str = ""


TINY_AUGMENT = AugmentConfig(train_size=20, steps=2, test_images=50)
AUGMENT_RUNS = {"plain": "no augmentation", "augmented": "augmented"}


@dataclass
class AugmentResult:
    config: AugmentConfig
    status: str
    message: str
    device: str
    history: pd.DataFrame  # step, run_step, run, batch_loss, test_loss, test_acc
    finals: pd.DataFrame  # run, test accuracy
    samples: np.ndarray  # (8, 28, 28) uint8: one training image, then seven augmented copies
    code: str
    steps_done: int = 0

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def augment_steps(config: AugmentConfig) -> int:
    return 2 * config.steps


def augment(x: Tensor, shift: float, rotation: float, noise: float, background: float, std: float,
            generator: torch.Generator) -> Tensor:
    """Each image (N, 1, H, W) randomly rotated (±rotation°) and shifted (±shift px), plus Gaussian noise.

    The images are standardized, so their background is `background`, not 0: the transform moves the
    difference from the background, and noise is given in 0-1 pixel units (`std` converts it).
    """
    n = x.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(rotation)
    move = (torch.rand(n, 2, generator=generator) * 2 - 1) * shift * 2 / SIDE  # in grid units: the image spans 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, move[:, 0]], 1), torch.stack([sin, cos, move[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
    out = F.grid_sample(x - background, grid, align_corners=False) + background
    if noise > 0:
        out = out + torch.randn(out.shape, generator=generator).to(x) * noise / std
    return out


class Augmented(nn.Module):
    """A network that sees a freshly augmented batch at every training step (and the plain image in eval)."""

    def __init__(self, net: nn.Module, config: AugmentConfig, background: float, std: float):
        super().__init__()
        self.net, self.config, self.background, self.std = net, config, background, std
        self.generator = torch.Generator().manual_seed(config.seed + 1)

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            c = self.config
            x = augment(x, c.shift, c.rotation, c.noise, self.background, self.std, self.generator)
        return self.net(x)


def run_augment(config: AugmentConfig, on_report: Report | None = None, should_stop=None,
                deadline=None) -> AugmentResult:
    """The same CNN trained on a few images, without and with shifts, rotations and noise."""
    if not 10 <= config.train_size <= 4000 or config.steps < 1 or config.shift < 0 or config.rotation < 0 \
            or config.noise < 0:
        raise ValueError("Use 10 to 4,000 training images, at least 1 step, and no negative augmentation.")
    device = pick_device(config.device or None)
    data = digits()
    X, y, X_test, y_test = tensors(data, device, config.test_images)
    per_class = max(1, config.train_size // 10)
    X_small, y_small = _subset(X, y, range(10), per_class, torch.Generator().manual_seed(config.seed))
    background = -data.mean / data.std
    job, histories, finals, steps_done = InTurn(on_report, should_stop, deadline, "run"), [], [], 0
    for key, hooks in job.runs(AUGMENT_RUNS):
        net = build(CNNConfig(), seed=config.seed)
        if key == "augmented":
            net = Augmented(net, config, background, data.std)
        net = net.to(device)
        outcome = fit(net, X_small, y_small, config.steps, 32, 0.003, config.seed, (X_test, y_test), hooks,
                      report_every=20)
        histories.append(_tagged(outcome.history, job.offset, run=AUGMENT_RUNS[key]))
        job.done(outcome.status, config.steps)
        steps_done += outcome.steps_done
        finals.append({"run": AUGMENT_RUNS[key], "test accuracy": evaluate(net, X_test, y_test)["test_acc"]})
    samples = augmentation_samples(config, data)
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    status = job.status
    message = (f"Both trained for {config.steps} steps on the same {len(y_small)} images ({per_class} of each digit);"
               " the augmented one saw a new random variant of each image at every step."
               if status == "finished" else f"The comparison ended early: {status}.")
    code = (f"def augment(x):  # x: (N, 1, 28, 28)\n"
            f"    angle = (torch.rand(N) * 2 - 1) * math.radians({config.rotation:g})\n"
            f"    move = (torch.rand(N, 2) * 2 - 1) * {config.shift} * 2 / 28\n"
            "    theta = [[cos, -sin, move_x], [sin, cos, move_y]] per image\n"
            "    grid = F.affine_grid(theta, x.shape, align_corners=False)\n"
            "    x = F.grid_sample(x - background, grid, align_corners=False) + background\n"
            f"    return x + torch.randn_like(x) * {config.noise:g} / std\n\n"
            "# each training step: loss = F.cross_entropy(net(augment(X[idx])), y[idx])")
    return AugmentResult(config, status, message, describe(device), history, pd.DataFrame(finals), samples, code,
                         steps_done)


def augmentation_samples(config: AugmentConfig, data: Digits | None = None, n: int = 7) -> np.ndarray:
    """One training digit and `n` augmented copies of it, as 8-bit images: (n + 1, 28, 28)."""
    data = data or digits()
    x = to_tensor(np.repeat(data.X_train[:1], n, axis=0), data)
    out = augment(x, config.shift, config.rotation, config.noise, -data.mean / data.std, data.std,
                  torch.Generator().manual_seed(config.seed + 2))
    pixels = ((out * data.std + data.mean) * 255).clamp(0, 255).round().to(torch.uint8)[:, 0].numpy()
    return np.concatenate([data.X_train[:1], pixels])


# --- 6. the classic architectures, from their layer definitions ----------------------------------------------------


def lenet5() -> nn.Module:
    """LeCun et al. (1998): two 5 × 5 conv layers with subsampling, then 120, 84 and 10 units; a 32 × 32 input."""
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84),
                         nn.Tanh(), nn.Linear(84, 10))


def alexnet() -> nn.Module:
    """Krizhevsky et al. (2012), in its one-GPU form (as torchvision defines it): five conv layers, three dense."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.AdaptiveAvgPool2d(6), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, 1000))


VGG16_PLAN = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16() -> nn.Module:
    """Simonyan and Zisserman (2014), configuration D: thirteen 3 × 3 conv layers, 2 × 2 pooling, three dense."""
    layers, c_in = [], 3
    for item in VGG16_PLAN:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c_in, item, 3, padding=1), nn.ReLU()]
            c_in = item
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(),
                         nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000))


class BasicBlock(nn.Module):
    """ResNet's two 3 × 3 conv layers with a shortcut: out = relu(F(x) + x)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                                  nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))  # match the shapes to add

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


def resnet18() -> nn.Module:
    """He et al. (2015): a 7 × 7 stem, four stages of two residual blocks, global average pooling, one dense."""
    stages, c_in = [], 64
    for c_out, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        stages += [BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out, 1)]
        c_in = c_out
    return nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                         *stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))


class Inception(nn.Module):
    """GoogLeNet's module (Szegedy et al., 2014): 1 × 1, 3 × 3, 5 × 5 and pooling side by side, 1 × 1 reductions."""

    def __init__(self, c_in=192, c1=64, r3=96, c3=128, r5=16, c5=32, pool=32):  # the defaults are module 3a
        super().__init__()
        self.branches = nn.ModuleList([
            nn.Sequential(nn.Conv2d(c_in, c1, 1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(c_in, r3, 1), nn.ReLU(), nn.Conv2d(r3, c3, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(c_in, r5, 1), nn.ReLU(), nn.Conv2d(r5, c5, 5, padding=2), nn.ReLU()),
            nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c_in, pool, 1), nn.ReLU())])

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([branch(x) for branch in self.branches], 1)  # channels side by side


@dataclass(frozen=True)
class Classic:
    name: str
    year: int
    make: object  # () -> nn.Module
    input: tuple[int, int, int]  # (channels, height, width)
    note: str


CLASSICS = (
    Classic("LeNet-5", 1998, lenet5, (1, 32, 32), "5 × 5 convolutions, subsampling, dense layers of 120 and 84"),
    Classic("AlexNet", 2012, alexnet, (3, 224, 224), "ReLU, dropout, an 11 × 11 stride-4 first layer"),
    Classic("VGG-16", 2014, vgg16, (3, 224, 224), "only 3 × 3 convolutions and 2 × 2 pooling, 16 weight layers"),
    Classic("Inception module 3a", 2014, Inception, (192, 28, 28),
            "one GoogLeNet module: 1 × 1 reductions before the 3 × 3 and 5 × 5 convolutions"),
    Classic("ResNet-18", 2015, resnet18, (3, 224, 224), "residual shortcuts, batch norm, global average pooling"),
)


def classic_table() -> pd.DataFrame:
    """Parameters of each classic architecture, counted from its modules built on the meta device (no memory)."""
    rows = []
    for classic in CLASSICS:
        with torch.device("meta"):
            net = classic.make()
            out = net(torch.zeros(1, *classic.input))
        conv = sum(p.numel() for m in net.modules() if isinstance(m, nn.Conv2d) for p in m.parameters())
        dense = sum(p.numel() for m in net.modules() if isinstance(m, nn.Linear) for p in m.parameters())
        rows.append({"architecture": classic.name, "year": classic.year, "input": "×".join(map(str, classic.input)),
                     "output": "×".join(map(str, out.shape[1:])), "parameters": count(net),
                     "in conv layers": conv, "in dense layers": dense, "what it introduced": classic.note})
    return pd.DataFrame(rows)


def model_table(config: CNNConfig, hidden: int) -> pd.DataFrame:
    """The chosen CNN's and the dense network's parameters, layer by layer."""
    rows = []
    for model, net in (("CNN", DigitCNN(config)), ("dense", DenseNet(hidden))):
        for name, module in net.named_modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                rows.append({"model": model, "layer": name, "shape": "×".join(map(str, module.weight.shape)),
                             "parameters": count(module)})
    return pd.DataFrame(rows)


# --- hand-made against learned filters, and receptive fields on the input ---------------------------------------------


def kernel_matches(learned: np.ndarray, kernels: dict[str, np.ndarray]) -> pd.DataFrame:
    """For each learned first-layer filter (F, k, k): the hand-made kernel it resembles most, by |cosine|.

    Both are compared over their common centre (the smaller one's size): the cosine of the two as vectors, 1 for the
    same pattern at any strength, −1 for the same pattern with its sign flipped.
    """
    rows = []
    for i, w in enumerate(np.asarray(learned, dtype=float)):
        scores = {}
        for name, kernel in kernels.items():
            size = min(w.shape[0], kernel.shape[0])
            a, b = _centre(w, size).ravel(), _centre(np.asarray(kernel, float), size).ravel()
            norm = np.linalg.norm(a) * np.linalg.norm(b)
            scores[name] = float(a @ b / norm) if norm > 0 else 0.0
        best = max(scores, key=lambda k: abs(scores[k]))
        rows.append({"filter": i + 1, "most like": best, "cosine": scores[best]})
    return pd.DataFrame(rows)


def _centre(a: np.ndarray, size: int) -> np.ndarray:
    start = (a.shape[0] - size) // 2
    return a[start:start + size, start:start + size]


def field_boxes(config: CNNConfig) -> list[tuple[str, int, float, int]]:
    """Per conv and pooling layer: (name, receptive field side, centre of its middle unit's field, layer side)."""
    sides = [side for conv, pooled in layer_sizes(config) for side in ((conv, pooled) if config.pool != "none"
                                                                       else (conv,))]
    return [(f.name, f.size, f.start + f.jump * ((n - 1) // 2), n) for f, n in zip(cnn_fields(config), sides,
                                                                                      strict=True)]


def classic_parameters(name: str, part: str = "parameters") -> int:
    """One classic architecture's parameters ("parameters", "in conv layers" or "in dense layers"), counted."""
    table = classic_table().set_index("architecture")
    return int(table.loc[name, part])


def network_parameters(layers: int = 2, filters: int = 8, kernel: int = 5, padding: str = "same",
                       pool: str = "max") -> int:
    """The parameters of the page's CNN with these settings."""
    return count(DigitCNN(CNNConfig(layers=layers, filters=filters, kernel=kernel, padding=padding, pool=pool)))
