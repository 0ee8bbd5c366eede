"""The result contract: plain data only, of bounded size, checked without torch in the server."""

import pickle
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import torch

from engine.activation_demo import MLPDemoConfig, run
from engine.trainer import TrainSettings
from jobs import ResultRejected, check_result
from jobs.results import check_row
from jobs.task import OUT_OF_MEMORY, SERVER_ERROR, failure_sentence


@dataclass(frozen=True)
class Frozen:
    name: str
    values: np.ndarray


@dataclass
class Holder:
    inner: Frozen
    extra: object = None


def test_the_activation_demo_result_is_plain_data_and_its_size_is_its_pickle():
    result = run(MLPDemoConfig(points=40, train=TrainSettings(steps=3)))
    assert check_result(result) == len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


@pytest.mark.parametrize("plain", [
    None, True, 3, 2.5, "text", b"bytes", np.float32(1.5), np.arange(4), np.zeros((2, 2), dtype=[("a", "f4")]),
    {"a": [1, (2, 3.0)]}, Holder(Frozen("x", np.ones(3))),
    pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"], "kind": pd.Categorical(["u", "v"])}),
    pd.Series([1, 2], index=["a", "b"]),
])
def test_plain_results_pass(plain):
    assert check_result(plain) > 0


@pytest.mark.parametrize(("result", "where"), [
    (torch.zeros(2), "a torch Tensor at result;"),
    ({"weights": [1, torch.nn.Parameter(torch.zeros(2))]}, "a torch Parameter at result['weights'][1]"),
    (Holder(Frozen("x", np.ones(1)), extra=torch.zeros(1)), "a torch Tensor at result.extra"),
    (np.array([object(), 1], dtype=object), "numpy array of Python objects at result"),
    (pd.DataFrame({"mixed": ["a", 1]}), "column of mixed Python objects at result['mixed']"),
    ({1, 2}, "a set at result"),
    ([lambda: 0], "a function at result[0]"),
])
def test_results_that_are_not_plain_data_are_rejected_saying_where(result, where):
    with pytest.raises(ResultRejected, match="The run's result") as rejected:
        check_result(result)
    assert where in str(rejected.value)


def test_a_result_over_the_limit_is_rejected_with_the_limit_in_the_sentence():
    with pytest.raises(ResultRejected, match="larger than the 1 MB"):
        check_result(np.zeros(200_000), limit_bytes=1_000_000)
    assert check_result(np.zeros(100_000), limit_bytes=1_000_000) > 800_000


def test_a_progress_row_must_hold_plain_numbers():
    assert check_row({"step": 1, "loss": np.float64(0.5)}) == {"step": 1, "loss": 0.5}
    with pytest.raises(ResultRejected, match="torch.Tensor under 'loss'"):
        check_row({"step": 1, "loss": torch.tensor(0.5)})


def test_the_checker_never_imports_torch():
    code = "\n".join([
        "import sys, jobs",
        "class Tensor: pass",
        "Tensor.__module__ = 'torch'",
        "try: jobs.check_result({'x': [1.0], 'y': Tensor()})",
        "except ValueError as e: print(e)",
        "assert 'torch' not in sys.modules",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "torch Tensor" in out


@pytest.mark.parametrize(("error", "sentence"), [
    (ValueError("depth must be at most 8"), "The run failed: depth must be at most 8"),
    (torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB"), OUT_OF_MEMORY),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                  "you tried to allocate 1 bytes. Error code 12 (Cannot allocate memory)"), OUT_OF_MEMORY),
    (MemoryError(), OUT_OF_MEMORY),
    (KeyError("activations"), SERVER_ERROR),
])
def test_errors_become_sentences_for_a_learner(error, sentence):
    assert failure_sentence(error) == sentence
