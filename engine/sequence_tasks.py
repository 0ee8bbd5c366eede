"""Memory tasks for recurrent networks: sequences (n, T, inputs) and their targets, drawn from a generator."""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

SYMBOLS = 4  # symbols to remember (first symbol, look-ahead)
NOISE_SYMBOLS = 4  # distractor symbols of the first-symbol task, distinct from those to remember
MAX_DEPTH = 4  # brackets: the deepest nesting
LOOKAHEAD = 2  # look-ahead: each step's label is the symbol this many steps later


@dataclass(frozen=True)
class SequenceTask:
    label: str
    inputs: int  # features per step
    classes: int  # classes of the label; 0 for a regression
    per_step: bool  # a target at every step (many-to-many), or one at the end (many-to-one)
    make: Callable[[int, int, torch.Generator], tuple[Tensor, Tensor]]  # (n, T, generator) -> X, y
    note: str  # what it asks, in a sentence
    input_names: tuple[str, ...]  # a name per input feature, for the page's tables
    class_names: tuple[str, ...] = ()  # a name per class; () names them by number (a depth, say)

    def loss(self, outputs: Tensor, y: Tensor) -> Tensor:
        """Cross-entropy or mean squared error over every target."""
        if self.classes:
            return nn.functional.cross_entropy(outputs.reshape(-1, self.classes), y.reshape(-1))
        return nn.functional.mse_loss(outputs.reshape(y.shape), y)

    def score(self, outputs: Tensor, y: Tensor) -> float:
        """Accuracy for a classification, mean squared error for a regression."""
        if self.classes:
            return (outputs.argmax(-1) == y).float().mean().item()
        return nn.functional.mse_loss(outputs.reshape(y.shape), y).item()

    @property
    def score_name(self) -> str:
        return "accuracy" if self.classes else "mean squared error"


def first_symbol(n: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """One of SYMBOLS symbols, then length − 1 random distractor symbols; the label is the first symbol."""
    first = torch.randint(SYMBOLS, (n,), generator=generator)  # (n,)
    seq = torch.randint(SYMBOLS, SYMBOLS + NOISE_SYMBOLS, (n, length), generator=generator)  # (n, T)
    seq[:, 0] = first
    return nn.functional.one_hot(seq, SYMBOLS + NOISE_SYMBOLS).float(), first  # (n, T, 8), (n,)


def adding(n: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Hochreiter and Schmidhuber's adding problem: random values, two of them marked; the target is their sum."""
    values = torch.rand(n, length, generator=generator)  # (n, T)
    half = max(length // 2, 1)
    first = torch.randint(half, (n,), generator=generator)  # one marker in the first half
    second = half + torch.randint(max(length - half, 1), (n,), generator=generator)  # one in the second
    second = second.clamp(max=length - 1)
    markers = torch.zeros(n, length)
    markers[torch.arange(n), first] = 1.0
    markers[torch.arange(n), second] = 1.0
    y = (values * markers).sum(1)  # (n,) a length-1 sequence marks one value, counted once
    return torch.stack([values, markers], dim=2), y  # (n, T, 2), (n,)


def brackets(n: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Opening and closing brackets and other symbols; the label at each step is the nesting depth so far."""
    draws = torch.randint(3, (n, length), generator=generator)  # 0: "(", 1: ")", 2: another symbol
    seq = torch.empty(n, length, dtype=torch.long)
    depth = torch.zeros(n, length, dtype=torch.long)
    current = torch.zeros(n, dtype=torch.long)
    for t in range(length):
        symbol = draws[:, t].clone()
        symbol[(symbol == 0) & (current == MAX_DEPTH)] = 2  # never deeper than MAX_DEPTH
        symbol[(symbol == 1) & (current == 0)] = 2  # never close what is not open
        current = current + (symbol == 0).long() - (symbol == 1).long()
        seq[:, t], depth[:, t] = symbol, current
    return nn.functional.one_hot(seq, 3).float(), depth  # (n, T, 3), (n, T)


SINE_NOISE = 0.1  # std of the noise on the sine's samples


def sine(n: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Noisy samples of a sine with a random frequency and phase; the target at each step is the next sample."""
    omega = 0.2 + 0.4 * torch.rand(n, 1, generator=generator)  # (n, 1) radians per step
    phase = 2 * math.pi * torch.rand(n, 1, generator=generator)
    t = torch.arange(length + 1).float()  # (T + 1,)
    wave = torch.sin(omega * t + phase) + SINE_NOISE * torch.randn(n, length + 1, generator=generator)  # (n, T + 1)
    return wave[:, :-1, None], wave[:, 1:]  # (n, T, 1), (n, T)


def lookahead(n: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Random symbols; each step's label is the symbol LOOKAHEAD steps later (the last steps: an extra 'end' class)."""
    seq = torch.randint(SYMBOLS, (n, length), generator=generator)  # (n, T)
    labels = torch.full((n, length), SYMBOLS, dtype=torch.long)
    labels[:, : max(length - LOOKAHEAD, 0)] = seq[:, LOOKAHEAD:]
    return nn.functional.one_hot(seq, SYMBOLS).float(), labels  # (n, T, 4), (n, T)


SYMBOL_NAMES = tuple("ABCD")
TASKS: dict[str, SequenceTask] = {
    "first": SequenceTask("Remember the first symbol", SYMBOLS + NOISE_SYMBOLS, SYMBOLS, False, first_symbol,
                          "The first step shows one of A, B, C, D; then come T − 1 distractors (w, x, y, z). At the "
                          "end, name the first symbol.", SYMBOL_NAMES + tuple("wxyz"), SYMBOL_NAMES),
    "adding": SequenceTask("The adding problem", 2, 0, False, adding,
                           "Each step holds a random value in [0, 1] and a marker; two values are marked. At the end, "
                           "give their sum.", ("value", "marker")),
    "brackets": SequenceTask("Bracket depth", 3, MAX_DEPTH + 1, True, brackets,
                             f"A string of '(', ')' and other symbols, never deeper than {MAX_DEPTH}. At every step, "
                             "give the nesting depth so far.", ("(", ")", "·")),
    "sine": SequenceTask("Noisy sine: predict the next sample", 1, 0, True, sine,
                         f"Samples of a sine of random frequency and phase, with noise of spread {SINE_NOISE:g}. At "
                         "every step, predict the next sample.", ("x",)),
    "lookahead": SequenceTask("Look ahead", SYMBOLS, SYMBOLS + 1, True, lookahead,
                              f"Random symbols A to D. At every step, name the symbol {LOOKAHEAD} steps later: only "
                              "a model that reads the sequence backwards too can know it.", SYMBOL_NAMES,
                              (*SYMBOL_NAMES, "end")),
}


def describe_inputs(task: SequenceTask, x: Tensor) -> list[str]:
    """A short label per step of one sequence x (T, I): the symbol, or the values."""
    if task.inputs == 1 or task.classes == 0:
        return [", ".join(f"{v:.2f}" for v in row.tolist()) for row in x]
    return [task.input_names[int(i)] for i in x.argmax(1)]
