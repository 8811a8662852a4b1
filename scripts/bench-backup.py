#!/usr/bin/env python3
"""Benchmarks a backup of an instance with 10,000 chats.

Starts a real agent (fleet admin API on), creates N chats (default 10,000) of 4 messages each
through the web API (POST /api/v1/chats/new, as the browser does), then times
GET /admin/v1/backup end to end (VACUUM INTO snapshot + integrity_check + streaming) and the
gzip compression maictl applies. Prints the medians of R runs and the sizes.

    scripts/bench-backup.py --agent .build/release/mai-agent [--chats 10000] [--runs 5]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import gzip
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request

TOKEN = "bench-fleet-token-0123456789abcdef-0123"
TEXT = ("Our quarterly report needs a short summary for the board: revenue grew, costs fell, and the new "
        "office opened on time. Please keep it under 200 words and mention the hiring plan. ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def chat_body(index: int) -> dict:
    messages = {}
    parent = None
    for turn in range(4):
        mid = f"m{turn}"
        messages[mid] = {"id": mid, "parentId": parent, "childrenIds": [], "role": "user" if turn % 2 == 0 else "assistant",
                         "content": f"[{index}/{turn}] " + TEXT, "timestamp": 1_790_000_000 + index}
        if parent:
            messages[parent]["childrenIds"].append(mid)
        parent = mid
    return {"chat": {"title": f"Chat {index}", "history": {"messages": messages, "currentId": parent}, "models": ["openai/gpt-4o-mini"]}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", default=".build/release/mai-agent")
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bench-backup-")
    port, admin_port = free_port(), free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "DATA_DIR": f"{work}/data", "HOST": "127.0.0.1", "PORT": str(port),
           "ADMIN_BIND": f"127.0.0.1:{admin_port}", "MAI_FLEET_TOKEN": TOKEN, "LOG_LEVEL": "warning", "MAI_INSTANCE": "bench"}
    log = open(f"{work}/agent.log", "wb")
    agent = subprocess.Popen([args.agent, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base, admin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if call("GET", base + "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        status, body, _ = call("POST", base + "/api/v1/auths/signup", {"name": "Bench", "email": "bench@example.com", "password": "bench password 1"})
        assert status == 200, body
        token = json.loads(body)["token"]

        started = time.perf_counter()
        def create(index: int) -> None:
            status, body, _ = call("POST", base + "/api/v1/chats/new", chat_body(index), token)
            assert status == 200, body
        with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(create, range(args.chats)))
        print(f"created {args.chats} chats (4 messages each) in {time.perf_counter() - started:.1f} s")

        times, gzip_times, sizes, gzip_sizes = [], [], [], []
        for run in range(args.runs):
            started = time.perf_counter()
            request = urllib.request.Request(admin + "/admin/v1/backup", headers={"Authorization": f"Bearer {TOKEN}"})
            digest = hashlib.sha256()
            path = f"{work}/snapshot-{run}.db"
            with urllib.request.urlopen(request, timeout=600) as response, open(path, "wb") as out:
                announced = response.headers["X-Mai-Backup-Sha256"]
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
            times.append(time.perf_counter() - started)
            assert digest.hexdigest() == announced, "checksum mismatch"
            with sqlite3.connect(path) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                assert db.execute("SELECT COUNT(*) FROM chats").fetchone()[0] == args.chats
            sizes.append(os.path.getsize(path))
            started = time.perf_counter()
            subprocess.run(["gzip", "-6", "-n", "-k", "-f", path], check=True)
            gzip_times.append(time.perf_counter() - started)
            gzip_sizes.append(os.path.getsize(path + ".gz"))
            os.remove(path)
            os.remove(path + ".gz")

        print(json.dumps({
            "chats": args.chats,
            "runs": args.runs,
            "backup_seconds_median": round(statistics.median(times), 3),
            "backup_seconds_all": [round(t, 3) for t in times],
            "snapshot_bytes": statistics.median(sizes),
            "snapshot_mib": round(statistics.median(sizes) / 2**20, 2),
            "gzip_seconds_median": round(statistics.median(gzip_times), 3),
            "gzip_bytes": statistics.median(gzip_sizes),
            "gzip_mib": round(statistics.median(gzip_sizes) / 2**20, 2),
            "agent": args.agent,
        }, indent=2))
    finally:
        agent.terminate()
        agent.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
