"""What the Android runtime (android_bridge/core) can run: operators and parameter values.

This list is the contract between the bundle compiler and the Java runtime: the compiler refuses
any operator or parameter not listed, and the Java tests check that every operator listed here
is registered in `org.jejunet.core.Operators` (build.sh exports this list as JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: bumped whenever the Java runtime gains or loses an operator or a parameter value
CAPABILITIES_VERSION = 4
#: the most interpreter threads the phone runtime takes
MAX_THREADS = 8


@dataclass(frozen=True)
class ParamRule:
    """How the phone treats a parameter: `values` allowed (None = any), or `host_only` (ignored)."""

    values: tuple[Any, ...] | None = None
    host_only: str | None = None  # why the phone ignores it
    maximum: float | None = None

    def refusal(self, value: Any) -> str | None:
        """Why `value` cannot run on the phone, or None."""
        if self.host_only is not None:
            return None
        if self.values is not None and value not in self.values:
            allowed = ", ".join(repr(v) for v in self.values)
            return f"value {value!r} is not supported on Android (supported: {allowed})"
        if self.maximum is not None and isinstance(value, int | float) and value > self.maximum:
            return f"value {value!r} is above the Android runtime's limit ({self.maximum:g})"
        return None


@dataclass(frozen=True)
class OpCapability:
    """One operator the phone runs, as `android_op` (sources and sinks are replaced)."""

    android_op: str
    params: dict[str, ParamRule] = field(default_factory=dict)
    note: str = ""


ANY = ParamRule()

CAPABILITIES: dict[str, OpCapability] = {
    "decode": OpCapability(
        "camera",
        {
            "source": ParamRule(host_only="the camera preview replaces the source"),
            "start": ParamRule(host_only="a live camera has no start frame"),
            "stride": ANY,
            "max_frames": ParamRule(host_only="the camera runs until the app stops"),
            "fps": ParamRule(host_only="the camera's timestamps are used"),
            "reconnect": ParamRule(host_only="the camera is not a network stream"),
            "reconnect_max_s": ParamRule(host_only="the camera is not a network stream"),
        },
        "frames come from Camera2 (YUV → ARGB_8888) instead of the file",
    ),
    "resize": OpCapability(
        "resize",
        {
            "width": ANY,
            "height": ANY,
            "mode": ParamRule(values=("stretch", "crop", "pad")),
            "interpolation": ParamRule(values=("nearest", "linear", "area")),
            **{
                name: ParamRule(
                    host_only="compiled in: `mode: aspect` becomes a stretch to the size it gives for the "
                    "camera's 640×480 frames"
                )
                for name in ("long_side", "multiple", "snap_to")
            },
        },
    ),
    "tflite_infer": OpCapability(
        "tflite_infer",
        {
            "model": ANY,
            "num_threads": ParamRule(maximum=MAX_THREADS),
            "delegate": ParamRule(values=("auto", "xnnpack", "builtin")),
            "mean": ANY,
            "std": ANY,
        },
        "LiteRT interpreter on the phone; the model file travels in the bundle",
    ),
    "upsample": OpCapability("upsample"),
    "overlay": OpCapability(
        "overlay",
        {
            "alpha": ANY,
            "background": ANY,
            "legend": ParamRule(values=(False, True)),
        },
        "the legend is drawn by the Android view (Canvas text), not by the core",
    ),
    "keyframe_gate": OpCapability(
        "keyframe_gate",
        {
            name: ANY
            for name in (
                "interval",
                "motion_threshold",
                "object_motion_threshold",
                "scene_cut",
                "cut_threshold",
                "target_fps",
                "max_gap",
                "thumb_size",
                "prediction_threshold",
                "predict_size",
                "object_weight",
                "occlusion_units",
            )
        },
        "integer features: the phone makes the host's decisions (target_fps follows the phone's own clock)",
    ),
    "optical_flow": OpCapability(
        "optical_flow",
        {"preset": ParamRule(values=("ultrafast", "fast", "medium")), "width": ANY},
        "OpenCV's DIS on the phone (the OpenCV Android SDK), behind the core's OpticalFlow interface",
    ),
    "warp": OpCapability(
        "warp",
        {
            "method": ParamRule(values=("flow", "hold")),
            "fuse": ParamRule(values=(0.0,)),
        },
    ),
    "late_result": OpCapability(
        "late_result",
        {"delay": ANY, "max_age": ANY, "flow_width": ANY},
        "the app's realtime schedule runs the network on its own thread and delivers its result as soon as "
        "it is done (the age comes with it); the fixed-delay schedule replays the host's offline runs: see "
        "docs/android.md",
    ),
    "encode": OpCapability(
        "display",
        {
            name: ParamRule(host_only="the phone shows frames on screen instead of writing a video")
            for name in ("path", "fps", "codec", "crf", "preset")
        },
        "frames go to the screen instead of an MP4 file",
    ),
}

#: operators the phone refuses on purpose, with the reason given to the user
REFUSED: dict[str, str] = {
    "label_writer": "the phone writes no label files; remove the node (or compile a pipeline without it)",
}


def as_json() -> str:
    """The capability list as JSON (read by the Java tests)."""
    data = {
        "version": CAPABILITIES_VERSION,
        "operators": {
            name: {
                "android_op": cap.android_op,
                "params": {
                    p: {"values": list(r.values) if r.values is not None else None, "host_only": r.host_only}
                    for p, r in cap.params.items()
                },
            }
            for name, cap in CAPABILITIES.items()
        },
        "refused": REFUSED,
    }
    return json.dumps(data, indent=2, sort_keys=True)


def phone_threads(num_threads: int, workers: int) -> int:
    """The threads of a network node's one interpreter on the phone: the host's workers × threads."""
    return min(MAX_THREADS, num_threads * workers)


if __name__ == "__main__":
    print(as_json())
