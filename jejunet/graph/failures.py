"""Run-time failures that say where they happened: the node, its operator and the frame, as fields."""

from __future__ import annotations

from jejunet.errors import NodeError, UserError


class NodeFailed(NodeError):
    """A failure located in a run: `node`, `op` and `frame` (None outside a frame: open, close).

    Raised once by the run session; an error that already is one is passed on as it is, so no
    executor has to tell a located error from an operator's own by its text.
    """

    def __init__(
        self, message: str, node: str | None = None, op: str | None = None, frame: int | None = None
    ):
        super().__init__(message)
        self.node, self.op, self.frame = node, op, frame

    @classmethod
    def of(cls, node: str, op: str, exc: BaseException, frame: int | None) -> NodeFailed:
        """`node 'n' (op): frame 3: detail`: a user error's own lines, else the exception's type and text."""
        where = f"frame {frame}: " if frame is not None else ""
        if isinstance(exc, UserError):
            detail = "; ".join(p.message if p.file is None else str(p) for p in exc.problems)
        else:
            detail = f"{type(exc).__name__}: {exc}"
        error = cls(f"node '{node}' ({op}): {where}{detail}", node, op, frame)
        error.__cause__ = exc
        return error


class GraphStalled(NodeFailed):
    """No frame moved for too long: names the busy node and the starved ones."""
