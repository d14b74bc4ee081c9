"""JejuNet: real-time video segmentation as a dataflow graph of composable video operators."""

__version__ = "0.1.0"
