"""Accuracy measures: mIoU from one confusion matrix over a whole set."""
