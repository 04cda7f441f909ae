"""Run a plugin's command so that a known, user-fixable error ends as one ERROR line and exit code 1.

Unknown errors keep their traceback (they are bugs to report). ZOHOBOOKS_BIGQUERY_DEBUG=1 keeps the
traceback of known errors too.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable

DEBUG_ENV = "ZOHOBOOKS_BIGQUERY_DEBUG"


def one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    return " ".join(text.split())


def run_with_clear_errors(command: Callable[[], object], known: dict[type[BaseException], Callable[[BaseException], str]],
                          logger_name: str) -> None:
    """`known` maps an exception type to what to say about it (most specific types first)."""
    try:
        command()
    except tuple(known) as exc:
        if os.environ.get(DEBUG_ENV, "").lower() in ("1", "true", "yes"):
            raise
        describe = next(say for kind, say in known.items() if isinstance(exc, kind))
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
        logging.getLogger(logger_name).error("%s", describe(exc))
        sys.exit(1)


class NameInvalidSettings(logging.Filter):
    """The SDK logs each validation error on its own line, then a bare "Config validation failed" line
    carrying the whole schema, and `meltano config test` shows users only that last line: say it once,
    in that last line, naming the settings and the plugin to check. (The SDK has no public hook for that
    message; this filter only rewrites those log records.)"""

    def __init__(self, errors: list[str], plugin_name_env: str, default_name: str) -> None:
        super().__init__()
        self.errors = errors
        # Meltano names the plugin being run (tap-zohobooks--eu, not only tap-zohobooks) in this variable.
        self.plugin = os.environ.get(plugin_name_env) or default_name

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.errors:
            return False  # repeated in the summary line
        if message == "Config validation failed":
            record.msg, record.args = "Invalid settings: %s (see `meltano config list %s`)", (
                "; ".join(self.errors), self.plugin)
            record.schema = None
        return True
