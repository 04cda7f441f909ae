"""Instructions per record of our target and of the peer, counted by valgrind: a figure load cannot move.

    .venv/bin/python benchmarks/target_instructions.py [--small 200] [--large 600] [--load-methods M,N]

CPU seconds on a machine whose two cores are shared with other runs (and with the emulator the
targets write to) move by 20 % and more from one run to the next, which hides any change smaller
than that. valgrind's callgrind counts the instructions a process executes instead: the same
program on the same input gives the same count whatever else runs. Each target runs twice under
callgrind, once on `--small` and once on `--large` invoices of the same feed (benchmarks/invoice_feed.py),
against one local emulator; the difference divided by the difference in records is the cost of one
record (start-up, set-up calls and the end of the run cancel out), and the small run minus its
records is the fixed cost of a run. The peer (z3 target-bigquery 0.7.2, `streaming_insert`) runs the
same way (see target_vs_peer.py for how it is installed and pointed at the emulator).

Instructions are not seconds: a cache miss or a system call costs the same one instruction here, and
valgrind hides some CPU features (OpenSSL's SHA-256 runs its generic code under it), so the ratio is
the figure to read, beside target_vs_peer.py's CPU seconds. Each run takes one to four minutes
(valgrind is some 50 times slower); two run at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.invoice_feed import write_feed  # noqa: E402
from benchmarks.target_vs_peer import PEER_LAUNCHER, compile_bytecode, ensure_peer  # noqa: E402
from local_services.bigquery_emulator import BigQueryEmulator  # noqa: E402

COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(command: list[str], feed: Path, env: dict, log: Path) -> int:
    """Instructions the command executed (all its threads) reading `feed` on stdin; raises if it failed."""
    with open(feed, "rb") as stdin, open(log, "wb") as err:
        code = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                              stdin=stdin, stdout=subprocess.DEVNULL, stderr=err, env=env).returncode
    text = log.read_text(errors="replace")
    found = COLLECTED.findall(text)
    if code != 0 or not found:
        raise RuntimeError(f"{' '.join(command[-3:])} failed (exit {code}); see {log}")
    return int(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=600)
    parser.add_argument("--load-methods", default="storage_write,streaming_insert,batch_load")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="target-instructions-"))
    feeds = {n: work / f"invoices-{n}.singer" for n in (args.small, args.large)}
    for n, path in feeds.items():
        write_feed(path, n, args.seed)  # the same seed: the small feed is the start of the large one
    ours = ROOT / ".venv" / "bin" / "python"
    compile_bytecode(ours)
    peer = None if args.no_peer else ensure_peer()
    if peer:
        compile_bytecode(peer)
    contenders = [f"ours:{m.strip()}" for m in args.load_methods.split(",") if m.strip()] + (["peer"] if peer else [])
    print(f"{args.small} and {args.large} invoices, under valgrind callgrind; machine: {os.cpu_count()} cores", flush=True)

    with BigQueryEmulator(work / "bq") as emulator:
        def run(job: tuple[str, int]) -> tuple[str, int, int]:
            who, records = job
            dataset = f"{who.replace(':', '_')}_{records}"
            config = {"project": emulator.project, "dataset": dataset}
            env = dict(os.environ)
            if who == "peer":
                config.update({"method": "streaming_insert", "denormalized": True, "batch_size": 500})
                env["BIGQUERY_EMULATOR_HOST"] = emulator.rest_url
                command = [str(peer), "-c", PEER_LAUNCHER]
            else:
                config.update({"api_endpoint": emulator.rest_url, "storage_api_endpoint": emulator.grpc_target,
                               "emulator": True, "retry_queue_dir": str(work / f"queue-{dataset}"),
                               "load_method": who.split(":", 1)[1]})
                command = [str(ours), "-m", "target_bigquery_audit.target"]
            config_path = work / f"{dataset}.json"
            config_path.write_text(json.dumps(config))
            count = instructions(command + ["--config", str(config_path)], feeds[records], env, work / f"{dataset}.log")
            print(f"  {who:28s} {records:5d} records: {count:,} instructions", flush=True)
            return who, records, count

        jobs = [(who, n) for who in contenders for n in (args.small, args.large)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = {(who, n): count for who, n, count in pool.map(run, jobs)}

    print()
    print(f"{'target':36s} {'instructions per record':>24s} {'fixed cost per run':>19s} {'per record / peer':>18s}")
    per_record = {who: (counts[who, args.large] - counts[who, args.small]) / (args.large - args.small)
                  for who in contenders}
    for who in contenders:
        fixed = counts[who, args.small] - per_record[who] * args.small
        ratio = f"{per_record[who] / per_record['peer']:.2f}" if "peer" in per_record else "-"
        label = "z3 target-bigquery 0.7.2 (streaming_insert)" if who == "peer" else \
            f"target-bigquery-audit ({who.split(':', 1)[1]})"
        print(f"{label:36s} {per_record[who] / 1e6:21.2f} M {fixed / 1e9:16.2f} G {ratio:>18s}")


if __name__ == "__main__":
    main()
