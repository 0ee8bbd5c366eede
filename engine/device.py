"""Which device trains: CUDA when available, else Apple MPS, else CPU."""

import os

import torch

DEVICE_ENV = "DLLAB_DEVICE"  # set to "cpu", "cuda" or "mps" to force one
DEVICE_NAMES = ("cpu", "cuda", "mps")


def _available(name: str) -> bool:
    if name == "cuda":
        return torch.cuda.is_available()
    if name == "mps":
        return torch.backends.mps.is_available()
    return name == "cpu"


def pick_device(forced: str | None = None) -> torch.device:
    """The forced device (argument, then environment), else the best one available."""
    forced = (forced or os.environ.get(DEVICE_ENV, "")).strip().lower()
    if forced:
        if forced not in DEVICE_NAMES:
            raise ValueError(f"{DEVICE_ENV}={forced!r}: choose one of {', '.join(DEVICE_NAMES)}")
        if not _available(forced):
            raise RuntimeError(f"{DEVICE_ENV}={forced!r}, but this machine has no {forced} device")
        return torch.device(forced)
    for name in ("cuda", "mps"):
        if _available(name):
            return torch.device(name)
    return torch.device("cpu")


def describe(device: torch.device) -> str:
    """A short human label, e.g. 'cuda (NVIDIA H100)' or 'cpu'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
