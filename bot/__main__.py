"""Command line: parse arguments, load config, hand off to the app (DESIGN §3)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.config import Settings, find_config_path, load_settings
from bot.errors import ConfigError, StorageError

log = logging.getLogger("bot")

EXIT_OK, EXIT_STORAGE, EXIT_CONFIG = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="division-bell",
        description="Rings when something happens in Westminster: UK politics feeds → alerts.",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity (default INFO)",
    )
    parser.add_argument("--version", action="version", version=f"division-bell {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("run", help="the service: poll on schedule and deliver alerts")
    commands.add_parser("poll", help="one full cycle now: fetch, classify, dedupe, deliver; exit")
    classify = commands.add_parser("classify", help="classify JSON Lines on stdin, or TEXT")
    classify.add_argument("text", nargs="?", help="classify this text and explain why")
    evaluate = commands.add_parser("eval", help="score the classifier on labelled JSON Lines")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    commands.add_parser("check-config", help="validate and print the config, secrets masked")
    commands.add_parser("demo", help="offline: replay sample feeds through the pipeline")
    return parser


def configure_logging(level: str) -> None:
    """One line per event on stderr."""
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiohttp's access and client internals are noise at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `division-bell` and `python -m bot`."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"division-bell: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StorageError as exc:
        print(f"division-bell: storage error: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except KeyboardInterrupt:
        return 130


def _load(args: argparse.Namespace) -> Settings:
    path = find_config_path(args.config)
    settings = load_settings(path)
    if path is None and args.command in ("run", "poll"):
        log.info(
            "no config file (--config or DIVISION_BELL_CONFIG): using built-in defaults: "
            "%d UK politics feeds, console output, database %s",
            len(settings.feeds),
            settings.storage.path,
        )
    return settings


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are per command so `classify` and `check-config` start fast.
    if args.command in ("classify", "eval"):
        from bot.evaluate import run_classify, run_eval  # noqa: PLC0415
        from bot.pipeline.classify import Classifier  # noqa: PLC0415

        settings = _load(args) if args.config else None
        classifier = Classifier.load(settings.rules if settings else None)
        if args.command == "classify":
            return run_classify(args.text, classifier, stdin=sys.stdin, out=sys.stdout)
        return run_eval(args.file, classifier, as_json=args.json, out=sys.stdout)
    settings = _load(args)
    if args.command == "check-config":
        from bot.config_show import render_settings  # noqa: PLC0415

        sys.stdout.write(render_settings(settings))
        return EXIT_OK
    if args.command == "poll":
        from bot.app import poll_once  # noqa: PLC0415

        return asyncio.run(poll_once(settings))
    if args.command == "demo":
        from bot.demo import run_demo  # noqa: PLC0415

        return asyncio.run(run_demo(settings, stdout=sys.stdout))
    from bot.scheduler import run_service  # noqa: PLC0415

    return asyncio.run(run_service(settings))


if __name__ == "__main__":
    sys.exit(main())
