#!/usr/bin/env python3
"""Benchmarks a release `mai-agent`: time from exec to the first 200 on /health, idle RSS, and
`wrk -t2 -c64 -d10s` on /health. Prints medians; run it on a quiet machine and compare ratios.

    make bench            (builds the release binary first)
    scripts/bench-agent.py --binary .build/release/mai-agent [--runs 10] [--wrk-runs 3]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from benchutil import free_port, health_ok


def start(binary: str, data_dir: str, port: int) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, PORT=str(port), DATA_DIR=data_dir, LOG_LEVEL="warning", ENV="prod")
    began = time.perf_counter()
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not health_ok(port):
        if proc.poll() is not None:
            raise SystemExit(f"agent exited with {proc.returncode}")
        if time.perf_counter() - began > 20:
            proc.kill()
            raise SystemExit("agent did not answer /health within 20 s")
        time.sleep(0.001)
    return proc, (time.perf_counter() - began) * 1000


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/mai-agent")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--wrk-runs", type=int, default=3)
    args = parser.parse_args()

    starts_fresh, starts_warm, rss = [], [], []
    work = tempfile.mkdtemp(prefix="mai-bench-")
    try:
        for run in range(args.runs):
            data = os.path.join(work, f"data-{run}")
            # First start on an empty directory: creates the database, migrates, writes the key.
            proc, ms = start(args.binary, data, free_port())
            starts_fresh.append(ms)
            proc.terminate()
            proc.wait(10)
            # Second start on the same directory: what a restart or upgrade costs.
            proc, ms = start(args.binary, data, free_port())
            starts_warm.append(ms)
            time.sleep(2)
            rss.append(rss_mb(proc.pid))
            proc.terminate()
            proc.wait(10)

        throughput = []
        if shutil.which("wrk"):
            port = free_port()
            proc, _ = start(args.binary, os.path.join(work, "data-wrk"), port)
            for _ in range(args.wrk_runs):
                out = subprocess.run(["wrk", "-t2", "-c64", "-d10s", f"http://127.0.0.1:{port}/health"],
                                     capture_output=True, text=True).stdout
                match = re.search(r"Requests/sec:\s+([\d.]+)", out)
                errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                if match:
                    throughput.append(float(match.group(1)))
                if errors:
                    print(f"warning: {errors.group(1)} non-2xx responses")
            loaded_rss = rss_mb(proc.pid)
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"mai-agent benchmark ({args.binary}, {os.cpu_count()} cores)")
    print(f"start to first /health 200, empty DATA_DIR : median {statistics.median(starts_fresh):7.1f} ms  (n={len(starts_fresh)}, min {min(starts_fresh):.1f}, max {max(starts_fresh):.1f})")
    print(f"start to first /health 200, existing data  : median {statistics.median(starts_warm):7.1f} ms  (n={len(starts_warm)}, min {min(starts_warm):.1f}, max {max(starts_warm):.1f})")
    print(f"idle RSS 2 s after start                   : median {statistics.median(rss):7.1f} MB  (n={len(rss)})")
    if throughput:
        print(f"wrk -t2 -c64 -d10s /health                 : median {statistics.median(throughput):9.0f} req/s (runs: {', '.join(f'{t:.0f}' for t in throughput)})")
        print(f"RSS after the wrk runs                     : {loaded_rss:7.1f} MB")
    else:
        print("wrk not installed: throughput not measured (make bench installs it)")


if __name__ == "__main__":
    main()
