"""JejuNet: real-time video segmentation as a dataflow graph of composable video operators.

The Python API (`jejunet.load`, `Pipeline.run`, `Pipeline.open`) is in `jejunet.api`; it is
imported on first use, so `import jejunet` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Pipeline", "Result", "Session", "UserError", "__version__", "load"]

if TYPE_CHECKING:
    from jejunet.api import Pipeline, Result, Session, load
    from jejunet.errors import UserError


def __getattr__(name: str) -> Any:
    if name in ("load", "Pipeline", "Result", "Session"):
        from jejunet import api

        return getattr(api, name)
    if name == "UserError":
        from jejunet.errors import UserError

        return UserError
    raise AttributeError(f"module 'jejunet' has no attribute '{name}'")
