"""`jejunet`: entry point, sub-command wiring and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # before cv2 loads: no "[ WARN ]" lines on stderr

from jejunet import __version__  # noqa: E402
from jejunet.cli import batch_cmd, eval_cmd, graph_cmd, model_cmd, ops_cmd, sweep_cmd, synth_cmd  # noqa: E402
from jejunet.errors import UserError  # noqa: E402


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error naming the flag (sub-commands inherit it), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
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


def _quiet_opencv() -> None:
    """OpenCV's own log lines (a camera that cannot be opened) stay off stderr; our errors say it."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 ok, 1 internal error (a bug), 2 user error, 130 interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _quiet_opencv()
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
    except Exception:  # noqa: BLE001 - anything else is a bug: show it, ask for a report
        if os.environ.get("JEJUNET_DEBUG"):
            raise
        traceback.print_exc()
        print(
            f"internal error in jejunet {__version__}: this is a bug, please report it with the "
            "traceback above and the command you ran to the JejuNet issue tracker",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
