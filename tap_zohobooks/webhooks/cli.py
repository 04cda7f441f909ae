"""`tap-zohobooks-webhooks`: run the webhook receiver, or replay spooled events.

    tap-zohobooks-webhooks serve  --config tap.json [--host 127.0.0.1] [--port 8787]
    tap-zohobooks-webhooks replay --config tap.json [--from 2026-01-01T00:00:00Z] [--to ...] [--entity invoice]
                                  [--event-id ID ...]  | target-bigquery-audit --config target.json

Settings come from the tap's config files and from TAP_ZOHOBOOKS_* environment variables (so
`meltano invoke tap-zohobooks:serve-webhooks` works with the plugin's settings).
"""

from __future__ import annotations

import argparse
import logging
import sys


def _config(paths: list[str], overrides: dict) -> dict:
    from ..tap import TapZohoBooks

    base = TapZohoBooks(config=paths or None, parse_env_config=True, validate_config=False).config
    return {**base, **{k: v for k, v in overrides.items() if v not in (None, [])}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tap-zohobooks-webhooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="receive Zoho Books webhooks into the spool")
    serve.add_argument("--config", action="append", default=[])
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    replay = sub.add_parser("replay", help="write spooled events as Singer messages to stdout")
    replay.add_argument("--config", action="append", default=[])
    replay.add_argument("--from", dest="replay_from")
    replay.add_argument("--to", dest="replay_to")
    replay.add_argument("--entity", dest="replay_entity")
    replay.add_argument("--event-id", dest="replay_event_ids", action="append", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")

    if args.command == "serve":
        import uvicorn

        from .receiver import build_receiver
        from .serving import server_options

        config = _config(args.config, {"webhook_host": args.host, "webhook_port": args.port})
        try:
            options = server_options(config)
            receiver = build_receiver(config)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from None
        logging.getLogger("tap-zohobooks.webhooks").info(
            "Receiving webhooks over %s on %s:%s", "HTTPS" if "ssl_certfile" in options else "HTTP",
            options["host"], options["port"])
        uvicorn.run(receiver, **options, log_level="warning", access_log=False, lifespan="on",
                    timeout_graceful_shutdown=5)
        return

    from ..tap import TapZohoBooks

    config = _config(args.config, {"mode": "replay", "replay_from": args.replay_from, "replay_to": args.replay_to,
                                   "replay_entity": args.replay_entity, "replay_event_ids": args.replay_event_ids})
    TapZohoBooks(config=config, parse_env_config=False).sync_all()


if __name__ == "__main__":
    main()
