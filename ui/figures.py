"""Figures cached by what they show, so a rerun that changes nothing rebuilds no chart."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import plotly.graph_objects as go
import streamlit as st

MAX_FIGURES = 512  # shared by every session; a figure is tens to a few hundred kB
_figures: OrderedDict[Hashable, go.Figure] = OrderedDict()
_lock = threading.Lock()


def cached(key: Hashable, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure for `key`, built once; `key` must name everything the figure shows."""
    with _lock:
        if key in _figures:
            _figures.move_to_end(key)
            return _figures[key]
    fig = build()
    with _lock:
        _figures[key] = fig
        while len(_figures) > MAX_FIGURES:
            _figures.popitem(last=False)
    return fig


def chart(key: Hashable, build: Callable[[], go.Figure], element_key: str, where=st) -> None:
    """Draw a cached figure."""
    where.plotly_chart(cached(key, build), key=element_key)
