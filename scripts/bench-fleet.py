#!/usr/bin/env python3
"""maictl across a 20-host test fleet, side by side with `ansible all -m ping`.

Brings up N test-fleet hosts (network namespaces, each with its own sshd and a real mai-agent),
gives each agent some chat traffic so the usage report has books to read, then times — wall
clock, whole process, median of --runs — :

  maictl health            (every check: SSH, agent process, public /health, admin API +
                            quick_check, disk, memory, last confirmation, backup age)
  maictl usage report      (this month, by client, every agent's books over the SSH tunnel)
  maictl status
  ansible all -m ping      (ansible-core from PyPI; the same hosts, key and pinned host keys,
                            the same parallelism; "cold" = no ControlPersist master left from
                            the previous run, "warm" = ansible's default ControlPersist reused)

Needs root (the test fleet). Usage (make bench-fleet does this):
  sudo .venv/bin/python scripts/bench-fleet.py --maictl .build/release/maictl \\
       --agent .build/debug/mai-agent --sim .build/debug/mai-sim [--hosts 20] [--runs 7]
"""
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


def sh(argv, env=None, check=True, capture=True):
    result = subprocess.run(argv, env=env, capture_output=capture, text=True)
    if check and result.returncode != 0:
        sys.exit(f"bench-fleet: {' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def fingerprint(openssh_line):
    blob = base64.b64decode(openssh_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def post(url, body, token=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def workspace(fleet, work):
    """Fleet files naming every host, a state dir with fleet tokens and pinned keys (as maictl keeps them)."""
    os.makedirs(f"{work}/fleet/clients", exist_ok=True)
    with open(f"{work}/fleet/fleet.toml", "w") as f:
        f.write('[hetzner]\nssh_keys = ["operator"]\n[agent]\nversion = "0.1.0"\n[operator]\nemail = "ops@example.com"\n'
                # The test hosts share this machine's disk and memory: measure speed, not the build box.
                '[health]\ndisk_free_warning_percent = 2\ndisk_free_critical_percent = 1\n'
                'memory_available_warning_percent = 2\nmemory_available_critical_percent = 1\n')
    state = f"{work}/state"
    os.makedirs(f"{state}/instances", mode=0o700, exist_ok=True)
    os.chmod(state, 0o700)
    pins = ["# maictl known hosts: <server-id> <key-type> <base64-key> <fingerprint>"]
    known_hosts = []
    for host in fleet["hosts"]:
        slug = host["server_id"]
        with open(f"{work}/fleet/clients/{slug}.toml", "w") as f:
            f.write(f'name = "Bench {host["name"]}"\ndomain = "{host["name"]}.bench.example"\n'
                    f'admin_email = "admin@{host["name"]}.bench.example"\nhost = "{host["ip"]}"\n')
        os.makedirs(f"{state}/instances/{slug}", mode=0o700, exist_ok=True)
        token = open(host["token_file"]).read().strip()
        path = f"{state}/instances/{slug}/fleet-token"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(token)
        pins.append(f'{slug} {host["host_key"]} {fingerprint(host["host_key"])}')
        known_hosts.append(f'{host["ip"]} {host["host_key"]}')
    with open(os.open(f"{state}/known_hosts", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write("\n".join(pins) + "\n")
    with open(f"{work}/ssh_known_hosts", "w") as f:
        f.write("\n".join(known_hosts) + "\n")
    with open(f"{work}/ansible.cfg", "w") as f:
        f.write("[defaults]\n")  # only the environment below configures ansible
    with open(f"{work}/inventory.ini", "w") as f:
        f.write("[fleet]\n")
        for host in fleet["hosts"]:
            f.write(f'{host["name"]} ansible_host={host["ip"]} ansible_user=root\n')


def traffic(fleet, chats):
    for host in fleet["hosts"]:
        base = f'http://{host["ip"]}:{host["public_port"]}'
        email = f'admin@{host["name"]}.bench.example'
        answer = post(f"{base}/api/v1/auths/signup", {"name": "Admin", "email": email, "password": "bench password 1"})
        token = answer.get("token") or post(f"{base}/api/v1/auths/signin", {"email": email, "password": "bench password 1"}).get("token")
        for i in range(chats):
            reply = post(f"{base}/v1/chat/completions", {"model": "openai/gpt-4o-mini",
                                                          "messages": [{"role": "user", "content": f"hello {i} from {host['name']}"}]}, token)
            if reply.get("object") != "chat.completion":
                sys.exit(f"bench-fleet: chat on {host['name']} failed: {reply}")


def timed(argv, env, expect=(0,)):
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in expect:
        sys.exit(f"bench-fleet: {' '.join(argv)} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return elapsed, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maictl", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--chats", type=int, default=3, help="chats per host before measuring")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-fleet: needs root (the test fleet makes network namespaces and sshd instances)")
    ansible = shutil.which("ansible", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if not ansible:
        sys.exit("bench-fleet: ansible is missing: .venv/bin/pip install -r scripts/bench-requirements.txt (make bench-fleet does)")

    fleet_dir = tempfile.mkdtemp(prefix="maibench-fleet-")
    env = dict(os.environ, TESTFLEET_DIR=fleet_dir, MAI_AGENT_BIN=args.agent, MAI_SIM_BIN=args.sim)
    testfleet = f"{ROOT}/scripts/testfleet"
    try:
        started = time.perf_counter()
        sh([testfleet, "up", str(args.hosts), "--sim-port", "19191"], env=env)
        print(f"test fleet of {args.hosts} hosts up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        fleet = json.load(open(f"{fleet_dir}/hosts.json"))
        work = f"{fleet_dir}/bench"
        workspace(fleet, work)
        traffic(fleet, args.chats)

        menv = dict(os.environ, MAICTL_STATE_DIR=f"{work}/state", MAICTL_SSH_KEY=fleet["client_key"])
        menv.pop("SSH_AUTH_SOCK", None)
        month = time.strftime("%Y-%m", time.gmtime())
        fleet_arg = ["--fleet", f"{work}/fleet", "--parallel", str(args.parallel)]
        commands = {
            "maictl health": ([args.maictl, "health"] + fleet_arg, (0,)),
            "maictl usage report": ([args.maictl, "usage", "report", "--month", month, "--by", "client"] + fleet_arg, (0,)),
            "maictl status": ([args.maictl, "status"] + fleet_arg, (0,)),
        }
        # As in production, each client has last night's backup (health checks its age).
        timed([args.maictl, "backup", "--all"] + fleet_arg, menv)
        # Sanity before timing: every host answered, and the report has every client's books.
        _, health = timed(commands["maictl health"][0], menv)
        _, report = timed(commands["maictl usage report"][0][:-2] + ["-o", "json"] + fleet_arg[2:], menv)
        rows = json.loads(report.stdout)["rows"]
        if len(rows) != args.hosts or not all(int(r["totals"]["requests"]) >= args.chats for r in rows):
            sys.exit(f"bench-fleet: the usage report does not hold every host's chats: {report.stdout[:2000]}")

        known = f"-o UserKnownHostsFile={work}/ssh_known_hosts -o StrictHostKeyChecking=yes"
        aenv = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="True", ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3",
                    ANSIBLE_SSH_ARGS=f"{known} -o ControlMaster=auto -o ControlPersist=60s",
                    ANSIBLE_PRIVATE_KEY_FILE=fleet["client_key"], ANSIBLE_LOCAL_TEMP=f"{work}/ansible-tmp",
                    ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_CONFIG=f"{work}/ansible.cfg")
        ping = [ansible, "all", "-i", f"{work}/inventory.ini", "-m", "ping", "-f", str(args.parallel)]
        _, check = timed(ping, dict(aenv, ANSIBLE_SSH_CONTROL_PATH_DIR=f"{work}/cp-check"))
        if check.stdout.count("SUCCESS") != args.hosts:
            sys.exit(f"bench-fleet: ansible ping did not reach every host:\n{check.stdout[-3000:]}")

        results = {name: [] for name in list(commands) + ["ansible all -m ping (cold)", "ansible all -m ping (warm)"]}
        for run in range(args.runs):
            for name, (argv, expect) in commands.items():
                results[name].append(timed(argv, menv, expect)[0])
            # cold: no connection sharing, every host a new SSH handshake (as maictl does every run)
            results["ansible all -m ping (cold)"].append(timed(ping, dict(aenv, ANSIBLE_SSH_ARGS=f"{known} -o ControlMaster=no"))[0])
            # warm: ansible's default ControlPersist masters, kept from the previous run
            results["ansible all -m ping (warm)"].append(timed(ping, dict(aenv, ANSIBLE_SSH_CONTROL_PATH_DIR=f"{work}/cp-warm"))[0])

        cold_ping = statistics.median(results["ansible all -m ping (cold)"])
        print(f"\n{args.hosts} hosts, --parallel/-f {args.parallel}, {args.runs} runs each (wall clock of the whole command)")
        print(f"{'command':34} {'median':>9} {'min':>9} {'max':>9} {'vs ansible ping (cold)':>24}")
        for name, times in results.items():
            median = statistics.median(times)
            print(f"{name:34} {median:8.3f}s {min(times):8.3f}s {max(times):8.3f}s {median / cold_ping:23.2f}x")
        targets = {"maictl health": 2.0, "maictl usage report": 1.5}
        print()
        for name, target in targets.items():
            median = statistics.median(results[name])
            print(f"target {name}: median {median:.3f} s ≤ {target} s: {'met' if median <= target else 'MISSED'}")
    finally:
        subprocess.run([testfleet, "down"], env=env, capture_output=True)
        # Ansible's ControlPersist masters outlive the fleet only as dead sockets; end them anyway.
        subprocess.run(["pkill", "-f", f"{fleet_dir}/bench/cp-"], capture_output=True)
        shutil.rmtree(fleet_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
