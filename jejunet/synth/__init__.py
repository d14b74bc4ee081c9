"""Ground-truth video from labelled photos: a virtual camera films each photo, cut-outs move over it.

`photos` reads and checks a VOC-format pair of folders, `motion` holds the smooth curves and
speed profiles, `camera` and `objects` turn them into per-frame transforms, `render` draws a frame
and its exact labels, `writer` writes the clip atomically and `clip` ties them together.
"""

from jejunet.synth.clip import SynthSettings, synthesize

__all__ = ["SynthSettings", "synthesize"]
