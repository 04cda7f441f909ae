"""Our target against the best-known peer, z3z1ma's target-bigquery, side by side in one run.

    .venv/bin/python benchmarks/target_vs_peer.py [--records 20000] [--repeats 3] [--load-methods M,N]
    .venv/bin/python benchmarks/target_vs_peer.py --records 1000000 --repeats 1 --only ours --discard-writes

The peer (`z3-target-bigquery`, pinned below) is installed from PyPI into its own virtual environment
(.bench/peer-venv, created once). One feed of invoices (benchmarks/invoice_feed.py) goes through both
targets (ours once per load method: storage_write, streaming_insert and batch_load unless
--load-methods says otherwise), in ABBA order (A B C D D C B A ...), against one fresh local emulator;
each run writes its own dataset. Both virtual environments get their bytecode compiled first, as pip
does on install (this machine sets PYTHONDONTWRITEBYTECODE, which would otherwise make every start
compile some 600 modules again, about 1.5 CPU seconds for either target). For each run:
records/s, CPU seconds per 1,000 records of the target process alone (its own rusage from wait4, in a
small measuring process, so the emulator's CPU is not counted), its peak RSS, rows read back with google-cloud-bigquery, and whether
every money value read back equals the generated Decimal.

The peer is pointed at the emulator the way its code allows: it builds `bigquery.Client(project=...)`,
which honours BIGQUERY_EMULATOR_HOST for the endpoint, and asks google.auth.default() for credentials,
which a small launcher answers with anonymous credentials. Its Storage Write API client takes no
endpoint from the environment, so only its `streaming_insert` and `batch_job` methods can run here.

`--discard-writes` (ours only) measures memory at sizes the emulator cannot take in the time (about
200 rows/s): the feed is generated straight into the target's stdin (no file), and a launcher replaces
the three calls that send rows (insertAll, the load job's upload, the AppendRows request) with ones
that drop them; all the rest (reading, validation, conversion, `_raw`, hashing, batching, encoding,
the load journals and the load job's NDJSON file) runs as usual.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.invoice_feed import feed_lines, invoices, money_of, write_feed  # noqa: E402
from local_services.bigquery_emulator import BigQueryEmulator  # noqa: E402

PEER_PACKAGE = "z3-target-bigquery==0.7.2"
PEER_EXTRAS = ["setuptools<70"]  # its singer-sdk 0.22 imports fs, which needs pkg_resources
PEER_VENV = ROOT / ".bench" / "peer-venv"
PEER_LAUNCHER = (
    "import google.auth, google.auth.credentials as c\n"
    "google.auth.default = lambda *a, **k: (c.AnonymousCredentials(), None)\n"
    "from target_bigquery.target import TargetBigQuery\n"
    "TargetBigQuery.cli()\n")
OURS_DISCARDING_LAUNCHER = (
    "from target_bigquery_audit.writer import BigQueryWriter\n"
    "from target_bigquery_audit.batch_load import BatchLoader\n"
    "BigQueryWriter.insert_all = lambda self, table, rows, encoded: []\n"
    "BatchLoader._submit = lambda self, table, job_id, ndjson, size: None\n"  # after the journal and the NDJSON file
    "from target_bigquery_audit.storage_write import StorageWriteLoader\n"
    "StorageWriteLoader._send = lambda self, stream, rows: {}\n"  # after the journal and the protobuf rows
    "from target_bigquery_audit.target import TargetBigQueryAudit\n"
    "TargetBigQueryAudit.cli()\n")
# Each target runs under this small measuring process, not as a direct child of the benchmark: Linux
# gives a process the parent's peak RSS as its own starting peak (kept across fork and exec), so a direct
# child reported the benchmark's own peak (the rows it had read back) once that was larger.
MEASURE = (
    "import json, os, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "proc = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(proc.pid, 0)\n"
    "json.dump({'wall': time.perf_counter() - started, 'cpu': usage.ru_utime + usage.ru_stime,\n"
    "           'rss': usage.ru_maxrss / 1024, 'code': os.waitstatus_to_exitcode(status)}, open(sys.argv[1], 'w'))\n")
PER_VALUE_CHECK_LIMIT = 100_000  # above this, only the exact sums are compared (reading back is slow)
SAMPLE_ABOVE = 2_000  # above this, every value of one invoice in ten is compared


def ensure_peer() -> Path:
    """The peer's Python, installing it first if needed (idempotent)."""
    python = PEER_VENV / "bin" / "python"
    uv = ROOT / ".tools" / "bin" / "uv"
    marker = PEER_VENV / f".installed-{PEER_PACKAGE}"
    if not marker.exists():
        if not python.exists():
            subprocess.run([str(uv), "venv", "-q", "-p", "3.11", str(PEER_VENV)], check=True)
        subprocess.run([str(uv), "pip", "install", "-q", "-p", str(python), PEER_PACKAGE, *PEER_EXTRAS], check=True)
        marker.touch()
    return python


def compile_bytecode(python: Path) -> None:
    """Compile a virtual environment's modules once, as pip does on install (see the module docstring)."""
    marker = python.parent.parent / ".bytecode-compiled"
    if not marker.exists():
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", site], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        marker.touch()


def run_process(command: list[str], feed: Path | tuple[int, int], env: dict, log: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS MiB, exit code) of one target process reading `feed`: a file,
    or (records, seed) to generate into its stdin as it reads. Measured by MEASURE (see there why)."""
    measured = log.with_suffix(".rusage.json")
    command = [sys.executable, "-c", MEASURE, str(measured), *command]
    with open(log, "wb") as err:
        started = time.perf_counter()
        if isinstance(feed, Path):
            with open(feed, "rb") as stdin:
                proc = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err, env=env)
        else:
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=env)
            with proc.stdin:
                for line in feed_lines(*feed):
                    proc.stdin.write(line.encode())
        proc.wait()
    if proc.returncode != 0 or not measured.exists():  # the measuring process itself failed
        return time.perf_counter() - started, 0.0, 0.0, proc.returncode or 1
    usage = json.loads(measured.read_text())
    return usage["wall"], usage["cpu"], usage["rss"], usage["code"]


def as_decimal(value) -> Decimal | None:
    """What a reader of the table sees: NUMERIC comes back as Decimal, FLOAT64 as float (shortest repr)."""
    return None if value is None else value if isinstance(value, Decimal) else Decimal(repr(value))


def check_money(client, dataset: str, records: int, sums: dict, seed: int) -> dict:
    """Rows read back, duplicates, exact sums, and (for up to PER_VALUE_CHECK_LIMIT records) every value."""
    table = f"`{dataset}.invoices`"
    head = list(client.query(
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT invoice_id) AS ids, SUM(total) AS total FROM {table}").result())[0]
    lines = list(client.query(
        f"SELECT COUNT(*) AS n, SUM(li.item_total) AS item_total, SUM(li.rate) AS rate "
        f"FROM {table}, UNNEST(line_items) AS li").result())[0]
    result = {"rows": head.n, "duplicates": head.n - head.ids, "line_items": lines.n,
              "sums_exact": (as_decimal(head.total) == sums["total"] and as_decimal(lines.item_total) == sums["item_total"]
                             and as_decimal(lines.rate) == sums["rate"]),
              "values_checked": 0, "values_wrong": 0}
    if records > PER_VALUE_CHECK_LIMIT:
        return result
    # Reading every nested row back through the client takes minutes per run on a loaded machine, so
    # above SAMPLE_ABOVE records every value of each tenth invoice is compared (plus the exact sums).
    every = 10 if records > SAMPLE_ABOVE else 1
    landed = {}
    for row in client.query(f"SELECT invoice_id, total, sub_total, exchange_rate, line_items FROM {table} "
                            f"WHERE MOD(CAST(invoice_id AS INT64), {every}) = 0").result():
        landed[row["invoice_id"]] = (as_decimal(row["total"]), as_decimal(row["sub_total"]), as_decimal(row["exchange_rate"]),
                                     tuple((as_decimal(li["rate"]), as_decimal(li["quantity"]), as_decimal(li["item_total"]))
                                           for li in row["line_items"]))
    for record in invoices(records, seed):
        if int(record["invoice_id"]) % every:
            continue
        want = money_of(record)
        got = landed.get(record["invoice_id"])
        count = 3 + 3 * len(want[3])
        result["values_checked"] += count
        if got is None:
            continue  # a missing row shows in `rows`
        wrong = sum(a != b for a, b in zip(want[:3], got[:3])) + sum(
            a != b for w, g in zip(want[3], got[3]) for a, b in zip(w, g)) + 3 * abs(len(want[3]) - len(got[3]))
        result["values_wrong"] += wrong
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each target, in ABBA order")
    parser.add_argument("--load-methods", default="storage_write,streaming_insert,batch_load",
                        help="our target's load_method(s), comma-separated; each is one contender")
    parser.add_argument("--peer-method", default="streaming_insert", choices=["streaming_insert", "batch_job"])
    parser.add_argument("--only", choices=["ours", "peer"], help="run one target only (e.g. the 1,000,000 RSS check)")
    parser.add_argument("--discard-writes", action="store_true",
                        help="ours only: generate the feed into stdin and drop the rows instead of sending them")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.discard_writes:
        args.only = "ours"

    work = Path(tempfile.mkdtemp(prefix="target-vs-peer-"))
    feed: Path | tuple[int, int] = work / "invoices.singer"
    if args.discard_writes:
        feed, sums = (args.records, args.seed), {"line_items": 0}
        print(f"{args.records:,} invoices generated into the target's stdin; rows encoded and dropped", flush=True)
    else:
        print(f"generating {args.records:,} invoices ...", flush=True)
        sums = write_feed(feed, args.records, args.seed)
        print(f"feed: {feed.stat().st_size / 2**20:.0f} MiB, {sums['line_items']:,} line items", flush=True)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    compile_bytecode(ROOT / ".venv" / "bin" / "python")
    peer_python = ensure_peer() if args.only != "ours" else None
    if peer_python:
        compile_bytecode(peer_python)

    methods = [m.strip() for m in args.load_methods.split(",") if m.strip()]
    contenders = [] if args.only == "peer" else [f"ours:{m}" for m in methods]
    contenders += [] if args.only == "ours" else ["peer"]
    labels = {c: f"target-bigquery-audit ({c.split(':', 1)[1]})" for c in contenders if c != "peer"}
    labels["peer"] = f"z3 target-bigquery 0.7.2 ({args.peer_method})"
    order = [c for i in range(args.repeats) for c in (contenders if i % 2 == 0 else contenders[::-1])]  # ABBA
    results: dict[str, list[dict]] = {c: [] for c in contenders}
    with BigQueryEmulator(work / "bq") as emulator:
        client = emulator.client()
        for n, who in enumerate(order, 1):
            dataset = f"{who.replace(':', '_')}_{n}"
            config = {"project": emulator.project, "dataset": dataset}
            env = dict(os.environ)
            if who != "peer":
                config.update({"api_endpoint": emulator.rest_url, "storage_api_endpoint": emulator.grpc_target,
                               "emulator": True,
                               "retry_queue_dir": str(work / f"queue-{n}"), "load_method": who.split(":", 1)[1]})
                command = [str(ROOT / ".venv" / "bin" / "target-bigquery-audit")]
                if args.discard_writes:
                    command = [str(ROOT / ".venv" / "bin" / "python"), "-c", OURS_DISCARDING_LAUNCHER]
            else:
                config.update({"method": args.peer_method, "denormalized": True, "batch_size": 500})
                env["BIGQUERY_EMULATOR_HOST"] = emulator.rest_url
                command = [str(peer_python), "-c", PEER_LAUNCHER]
            config_path = work / f"{dataset}.json"
            config_path.write_text(json.dumps(config))
            log = work / f"{dataset}.log"
            wall, cpu, rss, code = run_process(command + ["--config", str(config_path)], feed, env, log)
            check = check_money(client, dataset, args.records, sums, args.seed) \
                if code == 0 and not args.discard_writes else {}
            run = {"wall": wall, "cpu": cpu, "rss": rss, "code": code, **check}
            results[who].append(run)
            print(f"run {n} {labels[who]:48s} exit {code}  {args.records / wall:7.0f} rec/s  "
                  f"{cpu / args.records * 1000:.3f} CPU s/1k  {rss:5.0f} MiB  rows {check.get('rows', '-')}  "
                  f"load {os.getloadavg()[0]:.1f}" + ("" if code == 0 else f"  (log: {log})"), flush=True)

    print()
    print(f"{args.records:,} invoices ({sums['line_items']:,} line items), {args.repeats} runs each, "
          f"ABBA order, one fresh emulator; medians (peak RSS: the largest). Machine: {os.cpu_count()} cores.")
    header = (f"{'target':48s} {'records/s':>9s} {'CPU s/1k rec':>12s} {'peak RSS':>9s} {'rows back':>10s} "
              f"{'dupes':>5s} {'money exact':>24s}")
    print(header)
    print("-" * len(header))
    medians = {}
    for who, runs in results.items():
        ok = [r for r in runs if r["code"] == 0]
        if not ok:
            print(f"{labels[who]:48s} every run failed; see the logs in {work}")
            continue
        cpu = statistics.median(r["cpu"] for r in ok) / args.records * 1000
        medians[who] = cpu
        rate = statistics.median(args.records / r["wall"] for r in ok)
        rss = max(r["rss"] for r in ok)
        if args.discard_writes:
            print(f"{labels[who]:48s} {rate:9.0f} {cpu:12.3f} {rss:6.0f} MiB {'(dropped)':>10s}")
            continue
        rows = min(r["rows"] for r in ok)
        dupes = max(r["duplicates"] for r in ok)
        wrong = max(r["values_wrong"] for r in ok)
        checked = ok[0]["values_checked"]
        exact = all(r["sums_exact"] for r in ok) and wrong == 0 and rows == args.records
        money = ("yes" if exact else "NO") + (f" ({checked - wrong:,}/{checked:,} values" if checked else " (sums only")
        money += ", sums " + ("exact)" if all(r["sums_exact"] for r in ok) else "differ)")
        print(f"{labels[who]:48s} {rate:9.0f} {cpu:12.3f} {rss:6.0f} MiB {rows:10,} {dupes:5d} {money:>24s}")
    if "peer" in medians:
        for who in medians:
            if who != "peer":
                print(f"{labels[who]}: CPU per record / peer's = {medians[who] / medians['peer']:.2f}  (goal: at most 0.50)")
    if args.only != "ours":
        print("The peer's storage_write_api method cannot be pointed at the emulator (its Storage Write client reads "
              "no endpoint from the environment); it is not measured here.")


if __name__ == "__main__":
    main()
