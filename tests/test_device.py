import pytest
import torch

from engine.device import DEVICE_ENV, describe, pick_device


def test_cpu_can_always_be_forced(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert pick_device() == torch.device("cpu")


def test_without_a_choice_the_best_available_device_is_picked(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device().type == expected


def test_an_unknown_or_missing_device_is_refused_with_a_clear_message(monkeypatch):
    with pytest.raises(ValueError, match="choose one of cpu, cuda, mps"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no cuda device"):
            pick_device("cuda")


def test_describe_names_the_device():
    assert describe(torch.device("cpu")) == "cpu"
