"""`jejunet`: entry point, sub-command wiring and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from jejunet import __version__
from jejunet.cli import batch_cmd, eval_cmd, graph_cmd, model_cmd, ops_cmd, sweep_cmd, synth_cmd
from jejunet.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jejunet", description="Real-time video segmentation as a graph of video operators."
    )
    parser.add_argument("--version", action="version", version=f"jejunet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    graph_cmd.register(commands)
    ops_cmd.register(commands)
    model_cmd.register(commands)
    eval_cmd.register(commands)
    sweep_cmd.register(commands)
    batch_cmd.register(commands)
    synth_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        if os.environ.get("JEJUNET_DEBUG"):
            raise
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: partial outputs removed", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
