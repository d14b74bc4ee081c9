"""Command-line options that several sub-commands share."""

from __future__ import annotations

import argparse


def add_set_option(p: argparse.ArgumentParser) -> None:
    """`--set NODE.PARAM=VALUE` (repeatable), as every command that runs a pipeline takes it."""
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NODE.PARAM=VALUE",
        help="override an operator parameter (repeatable)",
    )
