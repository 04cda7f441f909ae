"""Run the sandbox: `python -m local_services.zoho_sandbox --port 8765 --documents 2000`.

Prints one JSON line (base URL, client credentials, refresh token per data center) once it listens.
"""

import argparse
import datetime as dt
import json
import signal
import sys
import threading

from . import SandboxConfig, ZohoSandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--documents", type=int, default=2000, help="about how many documents to seed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--anchor", help="seed relative to this UTC time (ISO 8601) instead of now")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a SandboxConfig setting, e.g. --set daily_quota=1000")
    args = parser.parse_args()
    config = SandboxConfig()
    for item in args.set:
        key, _, value = item.partition("=")
        config.update({key: json.loads(value) if value[:1] in "0123456789-tf[{" else value})
    anchor = dt.datetime.fromisoformat(args.anchor.replace("Z", "+00:00")) if args.anchor else None
    sandbox = ZohoSandbox(config, documents=args.documents, seed_value=args.seed, host=args.host, port=args.port,
                          anchor=anchor)
    sandbox.start()
    print(json.dumps(sandbox.info()), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    sandbox.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
