"""The pipeline file as pydantic models (the syntax; operators check their own parameters)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


QueuePolicy = Literal["block", "drop_oldest", "latest"]


class QueueSpec(BaseModel):
    """The bounded queue of an edge: its size and what happens when it is full."""

    model_config = ConfigDict(extra="forbid")

    size: int | None = Field(None, ge=1, le=1024, description="frames the edge holds (default: by mode)")
    policy: QueuePolicy | None = Field(
        None,
        description="when full: block (wait, lossless), drop_oldest (evict the oldest waiting frame), "
        "latest (keep only the newest); default: by the graph's mode",
    )


class EdgeSpec(BaseModel):
    """An input fed by `node.port`; `previous: true` makes it a feedback edge (last frame's value)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from", description="node.port")
    previous: bool = Field(False, description="take the value the source produced on the previous frame")
    delay: int = Field(
        0,
        ge=0,
        le=128,
        description="take the value the source produced this many frames earlier, without waiting for "
        "the later ones (a late result, e.g. the network's; `previous: true` is delay 1)",
    )
    initial: Literal["skipped"] = Field(
        "skipped", description="value of a feedback edge on the first frame (the SKIPPED marker)"
    )
    queue: QueueSpec | None = Field(
        None, description="queue size and policy of this edge (threaded executor)"
    )

    @model_validator(mode="after")
    def _delay_is_a_feedback_distance(self) -> EdgeSpec:
        """`previous: true` is delay 1; any delay makes the edge cross frames (previous)."""
        if self.delay:
            self.previous = True
        elif self.previous:
            self.delay = 1
        return self

    @property
    def late(self) -> bool:
        """A delayed edge (`delay: 2` or more): a late result. Offline it reads the value of frame
        t − delay; realtime, the producer's newest value the consumer has not seen yet (never
        waiting). `previous: true` (delay 1) stays a feedback edge: the value as of the frame before."""
        return self.delay > 1

    @field_validator("source")
    @classmethod
    def _node_dot_port(cls, value: str) -> str:
        node, dot, port = value.partition(".")
        if not dot or not node or not port:
            raise ValueError(f"expected 'node.port', got {value!r}")
        return value

    @property
    def node(self) -> str:
        return self.source.partition(".")[0]

    @property
    def port(self) -> str:
        return self.source.partition(".")[2]


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, description="unique node name")
    op: str = Field(description="operator name (jejunet ops list)")
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, EdgeSpec] = Field(default_factory=dict)
    workers: int = Field(
        1, ge=1, le=8, description="instances of a stateless node run on different frames at once (threaded)"
    )

    @field_validator("inputs", mode="before")
    @classmethod
    def _short_edges(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("params", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class PipelineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    name: str = ""
    description: str = ""
    mode: Literal["offline", "realtime"] = "offline"
    nodes: list[NodeSpec] = Field(min_length=1)
