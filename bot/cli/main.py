"""Command line: parse arguments, load config, hand off to the app or a one-shot command."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bot import __version__
from bot.cli.replay_args import category_list, every_seconds
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
    _add_replay(commands)
    _add_operations(commands)
    return parser


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay", help="offline: an archive of entries (JSON Lines) through your rules, as alerts"
    )
    replay.add_argument("file", type=Path, help="JSON Lines: title, link, published, …")
    replay.add_argument(
        "--every",
        type=every_seconds,
        metavar="SECONDS",
        help="poll the archive's feeds every SECONDS of their time (default [polling] interval)",
    )
    replay.add_argument(
        "--categories",
        type=category_list,
        metavar="A,B",
        help="subscribe the console to these categories only (default all)",
    )
    replay.add_argument(
        "-v", "--verbose", action="store_true", help="log at --log-level (default: warnings only)"
    )


def _add_operations(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # The commands that look after a running installation: destinations, the database, people.
    latest = commands.add_parser("latest", help="the latest events: reports, outlets, last update")
    latest.add_argument("category", nargs="?", help="only this category")
    latest.add_argument("--count", type=int, default=10, help="how many (1-10, default 10)")
    why = commands.add_parser("why", help="what became of a headline, and why; exit 1 if unseen")
    why.add_argument("url", help="the article's link, as a feed carried it")
    send_test = commands.add_parser(
        "send-test", help="a labelled test message to each destination; exit 1 if any failed"
    )
    send_test.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="a webhook's name, console, discord:<channel id> or slack:<channel id> (default: all)",
    )
    backup = commands.add_parser("backup", help="copy the database; safe while `run` is running")
    backup.add_argument(
        "path", help="backup file, or a folder (an existing one, or ending in /) for a dated file"
    )
    backup.add_argument(
        "--keep",
        type=int,
        metavar="N",
        help="with a folder: keep only the newest N dated backups there",
    )
    subscriptions = commands.add_parser(
        "subscriptions", help="export or import chat subscriptions (JSON), for moving hosts"
    )
    actions = subscriptions.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("export", help="print every Discord and Slack subscription as JSON")
    load = actions.add_parser("import", help="add the subscriptions in FILE (- for stdin)")
    load.add_argument("file", help="a file written by `subscriptions export`")
    _add_storage(commands)
    people = commands.add_parser("people", help="the register of Westminster people")
    people_actions = people.add_subparsers(dest="action", metavar="ACTION", required=True)
    people_actions.add_parser(
        "refresh", help="read current MPs and peers from the UK Parliament Members API"
    )


def _add_storage(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    storage = commands.add_parser("storage", help="move the database to PostgreSQL")
    actions = storage.add_subparsers(dest="action", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy", help="copy the SQLite database into an empty PostgreSQL database"
    )
    target = copy.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="URL", help="postgresql://USER:PASSWORD@HOST/DATABASE")
    target.add_argument(
        "--to-env",
        metavar="NAME",
        help="the environment variable holding the URL (keeps the password off the command line)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `division-bell` and `python -m bot`."""
    args = build_parser().parse_args(argv)
    # `replay`'s stdout reads as a channel would; the pipeline's INFO lines would drown it.
    quiet = args.command == "replay" and not args.verbose
    redactor = configure_logging("WARNING" if quiet else args.log_level, args.log_format)
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
    for notice in settings.notices:
        log.info("%s", notice)
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
        from bot.cli.check import run_check  # noqa: PLC0415

        return run_check(settings)
    if args.command == "poll":
        return _poll(settings)
    if args.command in ("demo", "replay"):
        return _offline(args, settings)
    return _service_or_operation(args, settings, redactor)


def _poll(settings: Settings) -> int:
    from bot.pipeline.workers import make_parse_executor  # noqa: PLC0415

    with make_parse_executor() as parse_executor:
        if settings.feeds and not (settings.storage.url or settings.storage.path.exists()):
            # A new database: every feed is read, and classified in the workers, for the first
            # time. They boot and load the classifier (~0.3 s) while the rest of `poll` loads.
            from bot.pipeline.parse_job import prepare_worker  # noqa: PLC0415

            parse_executor.start_workers(functools.partial(prepare_worker, settings.rules))
        from bot.app import poll_once  # noqa: PLC0415

        return asyncio.run(poll_once(settings, parse_executor=parse_executor))


def _offline(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "demo":
        from bot.cli.demo import run_demo  # noqa: PLC0415

        return asyncio.run(run_demo(settings, stdout=sys.stdout))
    from bot.cli.replay import run_replay  # noqa: PLC0415

    replay = run_replay(
        settings,
        args.file,
        every=args.every,
        categories=args.categories,
        stdout=sys.stdout,
        stderr=sys.stderr,
    )
    return asyncio.run(replay)


def _service_or_operation(
    args: argparse.Namespace, settings: Settings, redactor: RedactSecrets
) -> int:
    if args.command == "run":
        from bot.service.scheduler import run_service  # noqa: PLC0415

        return asyncio.run(run_service(settings))
    if args.command == "send-test":
        from bot.cli.send_test import send_test  # noqa: PLC0415

        return asyncio.run(send_test(settings, args.names, sys.stdout))
    if args.command in ("latest", "why"):
        return _history(args, settings)
    if args.command in ("backup", "storage"):
        return _database(args, settings, redactor)
    if args.command == "people":
        from bot.cli.people import run_people  # noqa: PLC0415

        return run_people(args.action, settings, out=sys.stdout, err=sys.stderr)
    from bot.cli.subscriptions import run_subscriptions  # noqa: PLC0415

    return run_subscriptions(args.action, getattr(args, "file", None), settings, stdin=sys.stdin)


def _history(args: argparse.Namespace, settings: Settings) -> int:
    """`latest` and `why`: questions answered from the database."""
    if args.command == "latest":
        from bot.cli.latest import show_latest  # noqa: PLC0415

        return asyncio.run(show_latest(settings, args.category, args.count, sys.stdout))
    from bot.cli.why import explain  # noqa: PLC0415

    return asyncio.run(explain(settings, args.url, sys.stdout))


def _database(args: argparse.Namespace, settings: Settings, redactor: RedactSecrets) -> int:
    """`backup` (the SQLite file) and `storage copy` (the SQLite database into PostgreSQL)."""
    if args.command == "backup":
        return _backup(args.path, args.keep, settings)
    import os  # noqa: PLC0415

    from bot.cli.storage_copy import run_storage_copy, target_url  # noqa: PLC0415

    url = target_url(args.to, args.to_env, os.environ)
    redactor.add([urlsplit(url).password])  # whatever a library logs, never the password
    return run_storage_copy(settings, url, args.to_env, sys.stdout)


def _backup(raw: str, keep: int | None, settings: Settings) -> int:
    from bot.cli.backup import (  # noqa: PLC0415
        backup_database,
        backup_target,
        is_folder_target,
        prune_backups,
    )

    if settings.storage.url:
        # A file copy of PostgreSQL would be neither consistent nor restorable; its own tool is.
        raise ConfigError(
            "backup copies the SQLite file, and [storage] names a PostgreSQL database: back it "
            'up with pg_dump (e.g. `pg_dump --format=custom --file=bell.dump "$DATABASE_URL"`), '
            "restore with pg_restore"
        )
    if keep is not None and (keep < 1 or not is_folder_target(raw)):
        raise ConfigError("backup --keep N: N must be 1 or more, and PATH a folder (end it with /)")
    target = backup_target(raw, datetime.now(UTC))
    size = backup_database(settings.storage.path, target)
    print(f"backup written: {target} ({size:,} bytes)")
    if keep is not None:
        for old in prune_backups(target.parent, keep):
            print(f"old backup removed: {old}")
    return EXIT_OK
