"""A bounded dict that forgets its least recently used entries: per-process caches of models, speaker models,
transcripts."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class LRU(OrderedDict):
    """A dict of at most `size` entries; storing or fetching through it marks an entry as recently used."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def remember(self, key: Any, value: Any) -> Any:
        """Store `value` under `key` (dropping the least recently used beyond `size`); return it."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        """The value under `key`, made by `make()` and remembered on a miss."""
        if key in self:
            self.move_to_end(key)
            return self[key]
        return self.remember(key, make())
