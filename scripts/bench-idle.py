#!/usr/bin/env python3
"""Idle means idle: starts `mai-agent serve` (with an OpenRouter connection to a local simulator, so
the usage confirmation loop has a key to work with), waits for start-up to settle, then measures
over a window in which nobody uses it:

- CPU seconds (user + system, from /proc/PID/stat),
- bytes written: `write_bytes` (what reached the storage layer) and `wchar` (every write(2),
  logs included), from /proc/PID/io,
- the database files' sizes before and after.

Two agents are measured, one after the other: the default `USAGE_SYNC_INTERVAL` (600 s) and the
shortest allowed (10 s), which makes a loop that spins or writes on every pass show within a minute.
Target (issue 13): < 1 s CPU and 0 bytes written per 10 minutes when nothing is due.

    make bench-idle                 (10 minutes per agent)
    scripts/bench-idle.py --binary .build-static/release/mai-agent --sim .build/debug/mai-sim --seconds 600
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import tempfile
import time

from benchutil import free_port, health_ok
from pathlib import Path

TARGET_CPU_SECONDS_PER_10_MIN = 1.0


def wait_up(proc: subprocess.Popen, port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while not health_ok(port):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"{what} did not answer /health within 30 s")
        time.sleep(0.01)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 (1-based) of stat; after the ")" split, 12 and 13 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def io(pid: int) -> dict[str, int]:
    with open(f"/proc/{pid}/io") as f:
        return {k: int(v) for k, v in (line.split(": ") for line in f)}


def db_sizes(data_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(data_dir.glob("webui.db*"))}


def measure(binary: str, sim_url: str, interval: int, seconds: float, settle: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="mai-idle-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        env = dict(os.environ, PORT=str(port), DATA_DIR=str(data_dir), LOG_LEVEL="info", ENV="prod",
                   OPENROUTER_API_KEY="sk-or-v1-idle-bench", OPENROUTER_BASE_URL=sim_url, USAGE_SYNC_INTERVAL=str(interval))
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(proc, port, "the agent")
            time.sleep(settle)  # start-up (migrations, first confirmation pass) is not idle time
            cpu0, io0, files0 = cpu_seconds(proc.pid), io(proc.pid), db_sizes(data_dir)
            time.sleep(seconds)
            if proc.poll() is not None:
                raise SystemExit(f"the agent exited with {proc.returncode} while idle")
            cpu1, io1, files1 = cpu_seconds(proc.pid), io(proc.pid), db_sizes(data_dir)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        return {
            "interval": interval, "seconds": seconds, "cpu": cpu1 - cpu0,
            "write_bytes": io1["write_bytes"] - io0["write_bytes"], "wchar": io1["wchar"] - io0["wchar"],
            "files_before": files0, "files_after": files1,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build-static/release/mai-agent")
    parser.add_argument("--sim", default=".build/debug/mai-sim")
    parser.add_argument("--seconds", type=float, default=600, help="idle window per agent (default 10 minutes)")
    parser.add_argument("--settle", type=float, default=5)
    args = parser.parse_args()

    sim_port = free_port()
    sim = subprocess.Popen([args.sim, "openrouter", "--port", str(sim_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", sim_port), timeout=0.2).close()
                break
            except OSError:
                if sim.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start")
                time.sleep(0.05)
        sim_url = f"http://127.0.0.1:{sim_port}/api/v1"
        results = [measure(args.binary, sim_url, interval, args.seconds, args.settle) for interval in (600, 10)]
    finally:
        sim.terminate()
        sim.wait(10)

    print(f"idle agent, {args.seconds:.0f} s each ({args.binary}):")
    print(f"{'USAGE_SYNC_INTERVAL':>20} {'CPU s':>8} {'CPU s/10 min':>13} {'write_bytes':>12} {'wchar':>10}  database files")
    failed = False
    for r in results:
        per10 = r["cpu"] * 600 / r["seconds"]
        grew = {k: r["files_after"].get(k, 0) - v for k, v in r["files_before"].items() if r["files_after"].get(k, 0) != v}
        print(f"{r['interval']:>20} {r['cpu']:>8.3f} {per10:>13.3f} {r['write_bytes']:>12} {r['wchar']:>10}  {'unchanged' if not grew else grew}")
        if r["interval"] == 600 and (per10 >= TARGET_CPU_SECONDS_PER_10_MIN or r["write_bytes"] > 0 or grew):
            failed = True
    print("target: < 1 s CPU and 0 bytes written per 10 minutes (default interval):", "MISSED" if failed else "met")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
