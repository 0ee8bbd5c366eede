"""Finished results by (task, config), shared by every session, bounded in entries and in bytes."""

import threading
from collections import OrderedDict
from typing import Any


class ResultCache:
    """Least-recently-used results; sizes are the pickled sizes the workers measured."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> tuple[Any, int] | None:
        """(result, size), or None."""
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: Any, result: Any, size: int) -> None:
        """Keep a result, forgetting the least recently used ones past either bound."""
        if size > self.max_bytes:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (result, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Any) -> None:
        if key in self._entries:
            self.bytes -= self._entries.pop(key)[1]

    def __len__(self) -> int:
        return len(self._entries)
