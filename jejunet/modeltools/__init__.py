"""Model tooling: import the JejuNet weights, rebuild them in Keras, re-export, study quantization.

TensorFlow is an optional extra (`pip install -e ".[model]"`), imported only by the commands that
need it; everything else in JejuNet runs on the TFLite runtime alone.
"""

from __future__ import annotations

import os
from typing import Any

from jejunet.errors import UserError

INSTALL_HINT = 'pip install -e ".[model]"'


class MissingTensorFlow(UserError):
    """The command needs TensorFlow, which is an optional extra."""


def require_tensorflow() -> Any:
    """Import TensorFlow quietly, or raise a one-line error telling how to install it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise MissingTensorFlow(
            f"this command needs TensorFlow, an optional extra ({exc}); install it with: {INSTALL_HINT}"
        ) from None
    return tf
