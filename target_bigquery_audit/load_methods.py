"""The `load_method` setting: which BigQuery API writes the rows, checked once with a one-line reason.

Every method only appends (an edit is a new row; the `_current` views give the latest version), so
`upsert`, `overwrite` and the like are refused. The old value `append-only` (the only one accepted
before there was a choice) means the default.
"""

from __future__ import annotations

from singer_sdk.exceptions import ConfigValidationError

STREAMING_INSERT = "streaming_insert"
BATCH_LOAD = "batch_load"
STORAGE_WRITE = "storage_write"
LOAD_METHODS = (STORAGE_WRITE, STREAMING_INSERT, BATCH_LOAD)
DEFAULT_LOAD_METHOD = STORAGE_WRITE
ALIASES = {"append-only": DEFAULT_LOAD_METHOD, "append_only": DEFAULT_LOAD_METHOD}


def load_method(config: dict) -> str:
    """The configured load method, or ConfigValidationError whose one line says what to set."""
    raw = config.get("load_method")
    name = str(raw or DEFAULT_LOAD_METHOD).strip().lower()
    name = ALIASES.get(name, name)
    if name not in LOAD_METHODS:
        reason = (f"load_method {raw!r} is not supported; use one of: {', '.join(LOAD_METHODS)} "
                  "(this target only appends: an edit is a new row, the _current views show the latest)")
        raise ConfigValidationError(reason, errors=[reason])
    if name == STORAGE_WRITE and config.get("emulator") and not config.get("storage_api_endpoint"):
        reason = ("load_method storage_write with emulator: true needs storage_api_endpoint, the host:port of the "
                  "emulator's gRPC port (e.g. 127.0.0.1:9060), or set load_method: streaming_insert")
        raise ConfigValidationError(reason, errors=[reason])
    return name
