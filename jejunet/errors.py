"""One error hierarchy: every user-facing problem is a `UserError` (exit code 2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem, located as precisely as we know: file, line, column, node, field."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    node: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            parts.append(where)
        if self.node:
            parts.append(f"node '{self.node}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)


class JejunetError(Exception):
    """Base class of every error JejuNet raises on purpose."""


class UserError(JejunetError):
    """Bad input from the user: reported as one line per problem, exit code 2."""

    exit_code = 2

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class PipelineError(UserError):
    """The pipeline file is malformed or inconsistent."""


class MediaError(UserError, ValueError):
    """A video, image or camera cannot be read or written."""


class ModelError(UserError, ValueError):
    """A model file is missing, corrupt or unusable."""


class AssetError(UserError):
    """A registered asset cannot be found, fetched or verified."""


class NodeError(UserError):
    """An operator failed while the graph ran."""
