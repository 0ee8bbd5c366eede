"""The result contract: what a task may hand back across processes, and how big it may be.

Results are plain data (numbers, strings, numpy arrays, pandas frames, and dicts, lists,
tuples and dataclasses of those), so that no tensor, CUDA or not, ever leaves a worker.
"""

import dataclasses
import io
import pickle
from typing import Any

import numpy as np
import pandas as pd

MB = 1_000_000
MAX_DEPTH = 32  # plain results are shallow; deeper ones are almost surely cyclic
SCALARS = (type(None), bool, int, float, str, bytes)
ROW_SCALARS = (type(None), bool, int, float, str)


class ResultRejected(ValueError):
    """A task's result (or progress row) breaks the contract; the message says how."""


def check_result(result: Any, limit_bytes: int = 4 * MB) -> int:
    """The pickled size of a plain result in bytes; raises ResultRejected for anything else."""
    return len(pack_result(result, limit_bytes))


def pack_result(result: Any, limit_bytes: int) -> bytes:
    """The checked result, pickled once, ready to cross a process boundary."""
    _check(result, "result", 0)
    buffer = _CappedBuffer(limit_bytes)
    pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(result)
    return buffer.getvalue()


class _CappedBuffer(io.BytesIO):
    """A pickle's destination that gives up as soon as the pickle outgrows the limit."""

    def __init__(self, limit_bytes: int):
        super().__init__()
        self.limit_bytes = limit_bytes

    def write(self, data) -> int:
        if self.tell() + memoryview(data).nbytes > self.limit_bytes:
            raise ResultRejected(f"The run's result is larger than the {self.limit_bytes / MB:g} MB the server "
                                 "accepts from one run. Try fewer steps or a smaller network.")
        return super().write(data)


def check_row(metrics: dict) -> dict:
    """A progress row as plain data: string keys, scalar values."""
    for name, value in metrics.items():
        if not isinstance(name, str) or not (type(value) in ROW_SCALARS or _plain_numpy_scalar(value)):
            raise ResultRejected(f"A progress report holds {_describe(value)} under {name!r}; "
                                 "reports must be plain numbers or strings.")
    return metrics


def _check(value: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ResultRejected(f"The run's result is nested more than {MAX_DEPTH} levels deep at {where}.")
    kind = type(value)
    if kind in SCALARS or _plain_numpy_scalar(value):
        return
    if isinstance(value, np.ndarray):
        _check_array(value.dtype, where)
    elif isinstance(value, pd.DataFrame):
        _check_labels(value.columns, f"{where}.columns")
        _check_labels(value.index, f"{where}.index")
        for name in value.columns:
            _check_column(value[name], f"{where}[{name!r}]")
    elif isinstance(value, pd.Series):
        _check_labels(value.index, f"{where}.index")
        _check_column(value, where)
    elif kind in (list, tuple):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]", depth + 1)
    elif kind is dict:
        for key, item in value.items():
            _check(key, f"a key of {where}", depth + 1)
            _check(item, f"{where}[{key!r}]", depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for name, item in _fields(value):
            _check(item, f"{where}.{name}", depth + 1)
    else:
        raise ResultRejected(_not_plain(value, where))


def _fields(value: Any) -> list[tuple[str, Any]]:
    """What pickling a dataclass instance carries: its __dict__, or its fields if it has slots."""
    if hasattr(value, "__dict__"):
        return list(vars(value).items())
    return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]


def _plain_numpy_scalar(value: Any) -> bool:
    return isinstance(value, np.generic) and not value.dtype.hasobject


def _check_array(dtype: np.dtype, where: str) -> None:
    if dtype.hasobject:
        raise ResultRejected(f"The run's result holds a numpy array of Python objects at {where}; "
                             "arrays in a result must hold numbers.")


def _check_column(column: pd.Series, where: str) -> None:
    """Columns hold numbers, dates, booleans, or strings; categories of strings too."""
    values = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else column
    if values.dtype == object and not all(type(v) is str for v in values):
        raise ResultRejected(f"The run's result has a column of mixed Python objects at {where}; "
                             "columns must hold numbers or strings.")


def _check_labels(labels: pd.Index, where: str) -> None:
    if isinstance(labels, pd.MultiIndex):
        raise ResultRejected(f"The run's result has a multi-level index at {where}; use plain columns.")
    _check_column(labels.to_series(), where)


def _describe(value: Any) -> str:
    kind = type(value)
    return f"a {kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else f"a {kind.__name__}"


def _not_plain(value: Any, where: str) -> str:
    kind = type(value)
    if kind.__module__.split(".")[0] == "torch":  # by name, so that checking never imports torch
        return (f"The run's result holds a torch {kind.__name__} at {where}; results must be plain data "
                "(numbers, numpy arrays, DataFrames), so convert tensors with .detach().cpu().numpy().")
    return (f"The run's result holds {_describe(value)} at {where}, which is not plain data; "
            "results may hold numbers, strings, numpy arrays, DataFrames, and lists, dicts "
            "and dataclasses of those.")
