#!/usr/bin/env python3
"""Times `maictl keys rotate --all` across a test fleet (default 20 hosts) with the OpenRouter
simulator, and prints the median of a few runs.

Each run rotates every client once, all in parallel: create key → agent validates and switches →
drain (the old key's generations confirmed; the simulator makes /generation answer 404 for 2 s
after a generation, as OpenRouter does) → disable → delete (--grace 0). Before each run every
host serves one chat, so each drain has something to confirm.

Needs root (network namespaces) and the debug or release binaries; hold the test-fleet lock:

    flock /run/maitestfleet.lock scripts/bench-rotate.py [--hosts 20] [--runs 3] [--bin .build/debug]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MGMT = "sk-or-v1-mgmt-bench"


def http(url: str, body: dict | None = None, token: str | None = None, method: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
    if data:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def workspace(fleet: dict, work: str) -> None:
    """Fleet files naming the hosts, and a state directory with their tokens and pinned host keys."""
    os.makedirs(f"{work}/fleet/clients")
    with open(f"{work}/fleet/fleet.toml", "w") as f:
        f.write('[hetzner]\nssh_keys = ["operator"]\n[agent]\nversion = "0.1.0"\n[operator]\nemail = "ops@example.com"\n')
    state = f"{work}/state"
    os.makedirs(state, mode=0o700)
    known = []
    for host in fleet["hosts"]:
        sid = host["server_id"]
        with open(f"{work}/fleet/clients/{sid}.toml", "w") as f:
            f.write(f'name = "Bench {host["name"]}"\ndomain = "{host["name"]}.bench.example"\n'
                    f'admin_email = "admin@{host["name"]}.bench.example"\nhost = "{host["ip"]}"\n')
        directory = f"{state}/instances/{sid}"
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chmod(f"{state}/instances", 0o700)
        token = open(host["token_file"]).read().strip()
        with open(os.open(f"{directory}/fleet-token", os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(token + "\n")
        key_type, key_b64 = host["host_key"].split()[:2]
        fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(base64.b64decode(key_b64)).digest()).decode().rstrip("=")
        known.append(f"{sid} {key_type} {key_b64} {fingerprint}")
    with open(os.open(f"{state}/known_hosts", os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("\n".join(known) + "\n")


def sign_in(host: dict) -> str:
    base = f"http://{host['ip']}:{host['public_port']}"
    credentials = {"name": "Admin", "email": f"admin@{host['name']}.example", "password": "password 123"}
    status, body = http(base + "/api/v1/auths/signup", credentials)
    if status != 200:
        status, body = http(base + "/api/v1/auths/signin", credentials)
    return body["token"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin", default=None, help="directory with mai-agent, mai-sim and maictl (default: swift build --show-bin-path)")
    parser.add_argument("--keep", action="store_true", help="leave the fleet up")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench-rotate needs root (test fleet); run: sudo flock /run/maitestfleet.lock scripts/bench-rotate.py", file=sys.stderr)
        return 64
    bin_dir = args.bin or subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip()
    env = dict(os.environ, MAI_AGENT_BIN=f"{bin_dir}/mai-agent", MAI_SIM_BIN=f"{bin_dir}/mai-sim")
    fleet_dir = tempfile.mkdtemp(prefix="maibench-rotate-")
    shutil.rmtree(fleet_dir)
    env["TESTFLEET_DIR"] = fleet_dir
    testfleet = f"{ROOT}/scripts/testfleet"
    print(f"bringing up {args.hosts} hosts…", file=sys.stderr)
    subprocess.run([testfleet, "up", str(args.hosts), "--sim-port", "19095"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        fleet = json.load(open(f"{fleet_dir}/hosts.json"))
        sim_root = fleet["sim_url"].rsplit("/api/v1", 1)[0]
        work = tempfile.mkdtemp(prefix="maibench-work-")
        workspace(fleet, work)
        for host in fleet["hosts"]:
            http(sim_root + "/__sim/keys", {"key": f"sk-or-v1-testfleet-{host['name']}",
                                             "behavior": {"name": f"bench {host['name']}", "limit": 50, "limit_reset": "monthly"}})
        tokens = {host["name"]: sign_in(host) for host in fleet["hosts"]}
        maictl_env = dict(os.environ, MAICTL_STATE_DIR=f"{work}/state", MAICTL_SSH_KEY=fleet["client_key"],
                          OPENROUTER_MANAGEMENT_KEY=MGMT, OPENROUTER_BASE_URL=fleet["sim_url"])
        maictl_env.pop("SSH_AUTH_SOCK", None)
        times = []
        for run in range(args.runs):
            for host in fleet["hosts"]:
                status, _ = http(f"http://{host['ip']}:{host['public_port']}/v1/chat/completions",
                                 {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": f"run {run}"}]}, tokens[host["name"]])
                assert status == 200, f"chat on {host['name']} answered {status}"
            started = time.monotonic()
            result = subprocess.run([f"{bin_dir}/maictl", "keys", "rotate", "--all", "--fleet", f"{work}/fleet", "--grace", "0",
                                     "--parallel", str(min(args.hosts, 64)), "--drain-timeout", "300s", "-o", "json"],
                                    env=maictl_env, capture_output=True, text=True)
            elapsed = time.monotonic() - started
            if result.returncode != 0:
                print(result.stdout, result.stderr, file=sys.stderr)
                return 1
            rows = json.loads(result.stdout)
            assert len(rows) == args.hosts and all(row["step"] == "finished" for row in rows), rows
            times.append(elapsed)
            print(f"run {run + 1}: rotated {args.hosts} clients in {elapsed:.2f} s", file=sys.stderr)
        print(f"keys rotate --all across {args.hosts} hosts: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
        return 0
    finally:
        if not args.keep:
            subprocess.run([testfleet, "down"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
