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
