"""Command line: parse arguments, load config, hand off to the app or a one-shot command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bot import __version__
from bot.config import Settings, find_config_path, load_settings
from bot.errors import ConfigError, StorageError
from bot.knowledge import ATTRIBUTION
from bot.logs import LOG_FORMATS, RedactSecrets, configure_logging, secrets_of

log = logging.getLogger("bot")

EXIT_OK, EXIT_STORAGE, EXIT_CONFIG = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="division-bell",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps --version's lines
        description="Rings when something happens in Westminster: UK politics feeds → alerts.",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (TOML)")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity (default INFO)",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=LOG_FORMATS,
        help="text (default), or json: one JSON object per line, for log shippers",
    )
    # The packaged register of Westminster people is reused open data: its licences ask that
    # wherever it is shown, its attribution is too.
    notice = "\n".join(("", "People register:", *ATTRIBUTION))
    parser.add_argument(
        "--version", action="version", version=f"division-bell {__version__}{notice}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("run", help="the service: poll on schedule and deliver alerts")
    commands.add_parser("poll", help="one full cycle now: fetch, classify, dedupe, deliver; exit")
    classify = commands.add_parser("classify", help="classify JSON Lines on stdin, or TEXT")
    classify.add_argument("text", nargs="?", help="classify this text and explain why")
    classify.add_argument(
        "--on",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the headline's date, for who held which seat, party and post (default today)",
    )
    evaluate = commands.add_parser("eval", help="score the classifier on labelled JSON Lines")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    commands.add_parser("check-config", help="validate and print the config, secrets masked")
    commands.add_parser("demo", help="offline: replay sample feeds through the pipeline")
    backup = commands.add_parser("backup", help="copy the database; safe while `run` is running")
    backup.add_argument("path", type=Path, help="backup file, or a folder for a timestamped one")
    subscriptions = commands.add_parser(
        "subscriptions", help="export or import chat subscriptions (JSON), for moving hosts"
    )
    actions = subscriptions.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("export", help="print every Discord and Slack subscription as JSON")
    load = actions.add_parser("import", help="add the subscriptions in FILE (- for stdin)")
    load.add_argument("file", help="a file written by `subscriptions export`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `division-bell` and `python -m bot`."""
    args = build_parser().parse_args(argv)
    redactor = configure_logging(args.log_level, args.log_format)
    try:
        return _dispatch(args, redactor)
    except ConfigError as exc:
        print(f"division-bell: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StorageError as exc:
        print(f"division-bell: storage error: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except KeyboardInterrupt:
        return 130


def _load(args: argparse.Namespace, redactor: RedactSecrets) -> Settings:
    path = find_config_path(args.config)
    settings = load_settings(path)
    redactor.add(secrets_of(settings))
    if path is None and args.command in ("run", "poll"):
        log.info(
            "no config file (--config or DIVISION_BELL_CONFIG): using built-in defaults: "
            "%d UK politics feeds, console output, database %s",
            len(settings.feeds),
            settings.storage.path,
        )
    return settings


def _dispatch(args: argparse.Namespace, redactor: RedactSecrets) -> int:
    # Imports are per command so `classify` and `check-config` start fast.
    if args.command in ("classify", "eval"):
        from bot.cli.evaluate import run_classify, run_eval  # noqa: PLC0415
        from bot.pipeline.classify import Classifier  # noqa: PLC0415

        settings = _load(args, redactor) if args.config else None
        classifier = Classifier.load(settings.rules if settings else None)
        if args.command == "classify":
            return run_classify(args.text, classifier, stdin=sys.stdin, out=sys.stdout, on=args.on)
        return run_eval(args.file, classifier, as_json=args.json, out=sys.stdout)
    settings = _load(args, redactor)
    if args.command == "check-config":
        from bot.config.show import render_settings  # noqa: PLC0415
        from bot.pipeline.classify import Classifier  # noqa: PLC0415

        # Reading the config checked the rules; compile every regex too, as `run` will.
        Classifier.load(settings.rules).prepare()
        sys.stdout.write(render_settings(settings))
        return EXIT_OK
    if args.command == "poll":
        from bot.app import poll_once  # noqa: PLC0415

        return asyncio.run(poll_once(settings))
    if args.command == "demo":
        from bot.cli.demo import run_demo  # noqa: PLC0415

        return asyncio.run(run_demo(settings, stdout=sys.stdout))
    return _service_or_operation(args, settings)


def _service_or_operation(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.service.scheduler import run_service  # noqa: PLC0415

        return asyncio.run(run_service(settings))
    if args.command == "backup":
        from bot.cli.backup import backup_database, backup_target  # noqa: PLC0415

        target = backup_target(args.path, datetime.now(UTC))
        size = backup_database(settings.storage.path, target)
        print(f"backup written: {target} ({size:,} bytes)")
        return EXIT_OK
    from bot.cli.subscriptions import run_subscriptions  # noqa: PLC0415

    return run_subscriptions(args.action, getattr(args, "file", None), settings, stdin=sys.stdin)


if __name__ == "__main__":
    sys.exit(main())
