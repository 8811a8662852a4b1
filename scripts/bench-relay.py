#!/usr/bin/env python3
"""Benchmarks the agent's streaming relay against the OpenRouter simulator (release builds).

1. Added first-token latency: N sequential streamed requests straight to the simulator, then the same
   through the agent's /v1/chat/completions; prints median and p99 of both and of the difference.
2. Concurrency: C simultaneous streamed chats through the agent; every stream must end with [DONE]
   and its text must equal what the simulator says it sent for that generation id. Prints the
   completed/correct counts, wall time, first-token latency under load, and the agent's peak RSS.

    make bench-relay      (builds release binaries first)
    scripts/bench-relay.py --agent .build/release/mai-agent --sim .build/release/mai-sim [--latency-runs 300] [--streams 1000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

MODEL = "openai/gpt-4o-mini"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=0.5)
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def post_json(url: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def stream_once(port: int, path: str, token: str, content: str) -> tuple[float, str, str, bool]:
    """One streamed completion over a raw HTTP/1.1 connection. Returns (seconds to first content
    chunk, generation id, text, ended with [DONE])."""
    body = json.dumps({"model": MODEL, "stream": True, "messages": [{"role": "user", "content": content}]}).encode()
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        rest = await reader.read()
        writer.close()
        raise RuntimeError(f"{path}: {status!r} {rest[:300]!r}")
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"transfer-encoding: chunked"):
            chunked = True
    first = None
    generation = ""
    text = []
    done = False
    buffer = b""

    async def next_bytes() -> bytes:
        if not chunked:
            return await reader.read(65536)
        size_line = await reader.readline()
        size = int(size_line.strip() or b"0", 16)
        if size == 0:
            return b""
        data = await reader.readexactly(size)
        await reader.readexactly(2)
        return data

    while not done:
        data = await next_bytes()
        if not data:
            break
        buffer += data
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if not line.startswith(b"data: "):
                    continue
                payload = line[6:]
                if payload == b"[DONE]":
                    done = True
                    break
                chunk = json.loads(payload)
                generation = chunk.get("id", generation)
                choices = chunk.get("choices") or []
                piece = choices[0].get("delta", {}).get("content") if choices else None
                if piece:
                    if first is None:
                        first = time.perf_counter() - started
                    text.append(piece)
    writer.close()
    return (first or float("nan"), generation, "".join(text), done)


async def latency_series(port: int, path: str, token: str, runs: int) -> list[float]:
    values = []
    for index in range(runs):
        first, _, _, done = await stream_once(port, path, token, f"Latency probe {index} [[sim:tokens=8]]")
        assert done
        values.append(first * 1000)
    return values


async def concurrent(port: int, token: str, streams: int, tps: int, tokens: int) -> tuple[list, float]:
    started = time.perf_counter()
    tasks = [stream_once(port, "/v1/chat/completions", token, f"Stream number {i} [[sim:tps={tps}]] [[sim:tokens={tokens}]]") for i in range(streams)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return results, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", default=".build/release/mai-agent")
    parser.add_argument("--sim", default=".build/release/mai-sim")
    parser.add_argument("--latency-runs", type=int, default=300)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--tps", type=int, default=20, help="tokens per second of each concurrent stream")
    parser.add_argument("--tokens", type=int, default=60, help="tokens per concurrent answer")
    args = parser.parse_args()
    raise_nofile()

    work = tempfile.mkdtemp(prefix="mai-bench-relay-")
    sim_port, agent_port = free_port(), free_port()
    sim = subprocess.Popen([args.sim, "openrouter", "--port", str(sim_port), "--chunk-delay-ms", "0"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=raise_nofile)
    env = dict(os.environ, PORT=str(agent_port), DATA_DIR=os.path.join(work, "data"), LOG_LEVEL="warning", ENV="prod",
               OPENROUTER_API_KEY="sk-or-v1-bench", OPENROUTER_BASE_URL=f"http://127.0.0.1:{sim_port}/api/v1")
    agent = subprocess.Popen([args.agent, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=raise_nofile)
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb(agent.pid))
            time.sleep(0.1)

    try:
        wait_http(f"http://127.0.0.1:{sim_port}/api/v1/models")
        wait_http(f"http://127.0.0.1:{agent_port}/health")
        token = post_json(f"http://127.0.0.1:{agent_port}/api/v1/auths/signup", {"name": "Bench", "email": "bench@example.com", "password": "bench password"})["token"]
        key = post_json(f"http://127.0.0.1:{agent_port}/api/v1/auths/api_key", {}, token)["api_key"]
        idle_rss = rss_mb(agent.pid)

        # Warm both paths (connection pools, model list).
        asyncio.run(latency_series(sim_port, "/api/v1/chat/completions", "sk-or-v1-bench", 20))
        asyncio.run(latency_series(agent_port, "/v1/chat/completions", key, 20))
        direct = asyncio.run(latency_series(sim_port, "/api/v1/chat/completions", "sk-or-v1-bench", args.latency_runs))
        relayed = asyncio.run(latency_series(agent_port, "/v1/chat/completions", key, args.latency_runs))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results, wall = asyncio.run(concurrent(agent_port, key, args.streams, args.tps, args.tokens))
        stop.set()
        served = {g["id"]: g for g in json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sim_port}/__sim/generations", timeout=30).read())["data"]}
    finally:
        stop.set()
        agent.terminate()
        sim.terminate()
        agent.wait(10)
        sim.wait(10)
        shutil.rmtree(work, ignore_errors=True)

    failures = [r for r in results if isinstance(r, BaseException)]
    complete = [r for r in results if not isinstance(r, BaseException) and r[3]]
    correct = [r for r in complete if r[1] in served and served[r[1]]["text"] == r[2] and served[r[1]]["finish_reason"] == "stop"]
    loaded_first = [r[0] * 1000 for r in complete]

    print(f"mai-agent relay benchmark ({os.cpu_count()} cores; agent, simulator and client on this machine)")
    print(f"first token, direct to simulator   : median {statistics.median(direct):6.2f} ms  p99 {percentile(direct, 99):6.2f} ms  (n={len(direct)})")
    print(f"first token, through the agent     : median {statistics.median(relayed):6.2f} ms  p99 {percentile(relayed, 99):6.2f} ms  (n={len(relayed)})")
    print(f"added by the relay                 : median {statistics.median(relayed) - statistics.median(direct):6.2f} ms  p99 {percentile(relayed, 99) - percentile(direct, 99):6.2f} ms")
    print(f"concurrent streams                 : {args.streams} started, {len(complete)} complete with [DONE], {len(correct)} text-exact vs simulator, {len(failures)} failed")
    if failures:
        print(f"  first failure: {failures[0]!r}")
    print(f"  wall time {wall:.1f} s for {args.tokens} tokens at {args.tps} tok/s each; first token under load median {statistics.median(loaded_first) if loaded_first else float('nan'):.1f} ms, p99 {percentile(loaded_first, 99) if loaded_first else float('nan'):.1f} ms")
    print(f"agent RSS                          : idle {idle_rss:.1f} MB, peak under load {peak[0]:.1f} MB")


if __name__ == "__main__":
    main()
