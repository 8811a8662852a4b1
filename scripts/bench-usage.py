#!/usr/bin/env python3
"""Benchmarks the usage books on release builds.

1. Month report from 1,000,000 generation rows: rows are inserted straight into a migrated
   database (the roll-up triggers run as in production), then the fleet admin API's
   GET /admin/v1/usage is timed end to end for group_by=day|user|model (median and p99 of 20).
2. Confirmation throughput: N completions through the agent against the OpenRouter simulator,
   then one `POST /api/v1/usage/sync`; prints rows confirmed per second.

    make bench-usage
    scripts/bench-usage.py --agent .build/release/mai-agent --sim .build/release/mai-sim [--rows 1000000] [--confirm 3000]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request

TOKEN = "bench-fleet-token-0123456789abcdef-0123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=0.5)
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def call(url: str, body: dict | None = None, token: str | None = None, method: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method or ("POST" if data else "GET"))
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b"null")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fill(db_path: str, rows: int) -> float:
    """Inserts `rows` generations over the last 30 days; returns seconds taken."""
    random.seed(7)
    users = [f"user-{i:02d}" for i in range(20)]
    models = [f"vendor/model-{i}" for i in range(10)]
    statuses = ["confirmed"] * 8 + ["provisional", "estimated"]
    now = int(time.time())
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    batch = []
    for index in range(rows):
        status = random.choice(statuses)
        cost = random.randint(1_000, 3_000_000)
        batch.append((f"bench-{index}", f"gen-bench-{index}", random.choice(users), "openrouter", "openrouter", random.choice(models),
                      random.randint(10, 2000), random.randint(10, 2000), cost, status, "stop", 1, 100,
                      now - random.randint(0, 29 * 86400), cost if status == "confirmed" else None, cost))
        if len(batch) == 50_000:
            insert(connection, batch)
            batch = []
    if batch:
        insert(connection, batch)
    connection.close()
    return time.perf_counter() - started


def insert(connection, batch) -> None:
    with connection:
        connection.executemany(
            """INSERT INTO generations (id, upstream_id, user_id, connection_id, provider, model, prompt_tokens, completion_tokens,
                   reported_cost_nanos, status, finish_reason, streamed, duration_ms, created_at, confirmed_cost_nanos, estimated_cost_nanos,
                   tokens_estimated)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)""", batch)


def report_benchmark(agent_bin: str, rows: int, work: str) -> None:
    data = os.path.join(work, "report-data")
    env = dict(os.environ, DATA_DIR=data, LOG_LEVEL="warning", ENV="prod", MAI_FLEET_TOKEN=TOKEN)
    subprocess.run([agent_bin, "migrate"], env=env, check=True, capture_output=True)
    seconds = fill(os.path.join(data, "webui.db"), rows)
    port, admin = free_port(), free_port()
    proc = subprocess.Popen([agent_bin, "serve"], env=dict(env, PORT=str(port), ADMIN_BIND=f"127.0.0.1:{admin}"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        start = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
        print(f"report over {rows:,} generation rows (inserted with roll-up triggers in {seconds:.1f} s, {rows / seconds:,.0f} rows/s):")
        for group in ["day", "user", "model"]:
            url = f"http://127.0.0.1:{admin}/admin/v1/usage?from={start}&to={today}&group_by={group}"
            timings = []
            for _ in range(22):
                began = time.perf_counter()
                body = call(url, token=TOKEN)
                timings.append((time.perf_counter() - began) * 1000)
            timings = timings[2:]
            print(f"  GET /admin/v1/usage group_by={group:5}: median {statistics.median(timings):6.2f} ms  p99 {percentile(timings, 99):6.2f} ms"
                  f"  ({len(body['rows'])} rows, {body['totals']['requests']:,} requests)")
    finally:
        proc.terminate()
        proc.wait(10)


def confirm_benchmark(agent_bin: str, sim_bin: str, count: int, work: str) -> None:
    sim_port, port = free_port(), free_port()
    sim = subprocess.Popen([sim_bin, "openrouter", "--port", str(sim_port), "--generation-delay", "0", "--chunk-delay-ms", "0"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, DATA_DIR=os.path.join(work, "confirm-data"), LOG_LEVEL="warning", ENV="prod", PORT=str(port),
               OPENROUTER_API_KEY="sk-or-v1-bench-confirm", OPENROUTER_BASE_URL=f"http://127.0.0.1:{sim_port}/api/v1",
               USAGE_SYNC_INTERVAL="86400")
    agent = subprocess.Popen([agent_bin, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{sim_port}/api/v1/models")
        wait_http(f"http://127.0.0.1:{port}/health")
        token = call(f"http://127.0.0.1:{port}/api/v1/auths/signup", {"name": "Bench", "email": "bench@example.com", "password": "bench password"})["token"]
        key = call(f"http://127.0.0.1:{port}/api/v1/auths/api_key", {}, token)["api_key"]
        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: call(f"http://127.0.0.1:{port}/v1/chat/completions",
                                         {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": f"row {i} [[sim:tokens=5]]"}]}, key),
                          range(count)))
        made = time.perf_counter() - began
        began = time.perf_counter()
        result = call(f"http://127.0.0.1:{port}/api/v1/usage/sync", {}, token)
        seconds = time.perf_counter() - began
        print(f"confirmation: {result['confirmed']:,} of {count:,} provisional rows confirmed in {seconds:.2f} s = {result['confirmed'] / seconds:,.0f} rows/s"
              f" (concurrency 8, simulator on the same 2 cores; {result['remaining']} left; the completions took {made:.1f} s)")
    finally:
        agent.terminate()
        sim.terminate()
        agent.wait(10)
        sim.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", default=".build/release/mai-agent")
    parser.add_argument("--sim", default=".build/release/mai-sim")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--confirm", type=int, default=3000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mai-bench-usage-")
    try:
        report_benchmark(args.agent, args.rows, work)
        confirm_benchmark(args.agent, args.sim, args.confirm, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
