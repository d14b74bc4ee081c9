"""`jejunet graph compile` and `jejunet graph plan`: the Android bundle and the phone's cost model."""

from __future__ import annotations

from typing import Any


def register(graph_actions: Any) -> None:
    """Add the Android actions to the `graph` command's sub-parsers."""
