"""A multilayer perceptron with its own activation per hidden layer."""

import math

import torch
from torch import Tensor, nn

from engine.activations import ACTIVATIONS


class MLP(nn.Module):
    """in -> [Linear -> activation] per hidden layer -> Linear -> class scores.

    With no hidden layers it is a single-layer perceptron (logistic regression).
    """

    def __init__(self, in_features: int, width: int, activations: tuple[str, ...], num_classes: int,
                 slope: float = 0.01, maxout_k: int = 2):
        super().__init__()
        self.activations = activations
        layers, fan_in = [], in_features
        for name in activations:
            act = ACTIVATIONS[name]
            linear = nn.Linear(fan_in, act.units(width, maxout_k))
            layers.append(nn.Sequential(linear, act.module(name, slope, maxout_k)))
            fan_in = width
        self.hidden = nn.ModuleList(layers)
        self.out = nn.Linear(fan_in, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.hidden:
            x = layer(x)
        return self.out(x)  # (batch, num_classes) logits

    def layer_outputs(self, x: Tensor) -> list[Tensor]:
        """Each hidden layer's output (after its activation), in order."""
        outputs = []
        for layer in self.hidden:
            x = layer(x)
            outputs.append(x)
        return outputs

    def linear_layers(self) -> list[nn.Linear]:
        return [layer[0] for layer in self.hidden] + [self.out]


@torch.no_grad()
def init_uniform(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from our generator."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            bound = 1 / math.sqrt(module.in_features)
            nn.init.uniform_(module.weight, -bound, bound, generator=generator)
            nn.init.uniform_(module.bias, -bound, bound, generator=generator)
