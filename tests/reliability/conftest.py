"""The reliability suite: every test here carries the `reliability` marker, and prints figures.

`python -m pytest -m reliability -q -s` runs only these (and the scenario tests they reuse) and
ends with the table the README's "Reliability" section reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.figures import ROWS, table

HERE = Path(__file__).resolve().parent
# Existing tests that already prove a reliability property: marked, not duplicated.
REUSED = frozenset(
    {
        # A second `run` on the same database refuses to start.
        "tests/scenarios/test_run_service.py::test_run_polls_delivers_is_healthy_and_stops_on_sigterm",
        # Refusals and forged requests at the transport level.
        "tests/transports/discord/test_slash.py::test_members_without_manage_channels_are_refused_politely",
        "tests/transports/discord/test_slash.py::test_permission_is_checked_in_the_target_channel",
        "tests/transports/slack/test_http_mode.py::test_bad_signature_and_stale_timestamp_are_401",
        "tests/transports/slack/test_http_mode.py::test_members_are_refused_politely_and_only_they_see_it",
        # Parse-level entity defences (billion laughs in every encoding, external entities).
        "tests/pipeline/test_parse.py::test_billion_laughs_stays_small_and_fast",
        "tests/pipeline/test_parse.py::test_external_entities_are_never_fetched",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything in this folder (and the reused tests) `reliability`."""
    for item in items:
        if item.path.is_relative_to(HERE) or item.nodeid.split("[", 1)[0] in REUSED:
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures gathered by this run, as a Markdown table."""
    if ROWS:
        terminalreporter.section("reliability figures")
        for line in table(ROWS):
            terminalreporter.write_line(line)
