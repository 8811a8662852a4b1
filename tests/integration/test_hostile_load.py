"""Hostile load against the real binary: uploads stream to disk, and /health stays fast while uploads
and sign-in floods run (issue 15). Figures are printed; thresholds hold on a busy machine."""
from __future__ import annotations

import hashlib
import os
import random
import statistics
import threading
import time
from pathlib import Path

import requests

from conftest import PASSWORD, assert_json_detail, bearer, signup, start_agent

SEED = 20261203


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident memory (VmHWM) in KiB, from the kernel."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def make_users(agent, admin, count: int) -> list[str]:
    tokens = []
    for index in range(count):
        email = f"uploader{index}@example.com"
        added = requests.post(agent.url + "/api/v1/auths/add", json={"name": email, "email": email, "password": PASSWORD, "role": "user"},
                              headers=bearer(admin["token"]), timeout=60)
        assert added.status_code == 200, (added.status_code, added.text[:300])
        signin = requests.post(agent.url + "/api/v1/auths/signin", json={"email": email, "password": PASSWORD}, timeout=60)
        assert signin.status_code == 200, (signin.status_code, signin.text[:300])
        tokens.append(signin.json()["token"])
    return tokens


def multipart(boundary: str, filename: str, chunks, chunk_count: int):
    """A generator of a multipart/form-data body whose file part is `chunk_count` items of `chunks()`."""
    yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
    for _ in range(chunk_count):
        yield chunks()
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_multipart_upload_is_stored_exactly(agent, admin):
    """A 3 MiB text file sent in 1 KiB pieces: the stored file's SHA-256 is the one Python computes."""
    rng = random.Random(SEED)
    lines = [f"line {i}: {rng.random()}\n".encode() for i in range(120_000)]
    content = b"".join(lines)[: 3 << 20]
    boundary = "x" * 70
    body = f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".encode() + \
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\r\n".encode() + content + \
        f"\r\n--{boundary}--\r\n".encode()
    pieces = (body[i:i + 1024] for i in range(0, len(body), 1024))
    response = requests.post(agent.url + "/api/v1/files/", data=pieces, timeout=120,
                             headers={**bearer(admin["token"]), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 200, (response.status_code, response.text[:500])
    stored = response.json()
    assert stored["filename"] == "notes.txt" and stored["meta"]["size"] == len(content), stored
    assert stored["hash"] == hashlib.sha256(content).hexdigest(), stored
    on_disk = agent.data_dir / "uploads" / stored["id"]
    assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == hashlib.sha256(content).hexdigest()


def test_concurrent_large_uploads_do_not_grow_memory_with_the_files(agent, admin):
    """Four people send 40 MiB forms at once. Peak memory grows by far less than the 160 MiB they send
    (whole bodies used to be held: four 50 MiB uploads grew the agent from 208 to 481 MB), and a refused
    file leaves nothing on disk."""
    tokens = make_users(agent, admin, 4)
    before = peak_rss_kib(agent.proc.pid)
    block = os.urandom(1 << 20)  # random bytes: no known document kind, refused once received
    results: list[requests.Response | Exception] = []

    def send(token: str, index: int) -> None:
        try:
            results.append(requests.post(agent.url + "/api/v1/files/", data=multipart("b" * 40, f"blob{index}.bin", lambda: block, 40),
                                         headers={**bearer(token), "Content-Type": "multipart/form-data; boundary=" + "b" * 40}, timeout=300))
        except Exception as error:  # noqa: BLE001 - shown in the assertion below
            results.append(error)

    threads = [threading.Thread(target=send, args=(token, index)) for index, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = peak_rss_kib(agent.proc.pid)
    growth_mib = (after - before) / 1024
    print(f"peak RSS before {before / 1024:.1f} MiB, after four 40 MiB uploads {after / 1024:.1f} MiB (+{growth_mib:.1f} MiB)")
    statuses = [r.status_code if isinstance(r, requests.Response) else repr(r) for r in results]
    assert statuses == [415] * 4, [(r.status_code, r.text[:200]) if isinstance(r, requests.Response) else repr(r) for r in results]
    print("refusal:", assert_json_detail(results[0]))
    assert growth_mib < 64, f"peak memory grew by {growth_mib:.1f} MiB for 160 MiB of uploads"
    leftovers = list((agent.data_dir / "uploads").iterdir()) if (agent.data_dir / "uploads").exists() else []
    assert leftovers == [], f"refused uploads left files: {leftovers}"


def test_health_stays_fast_under_uploads_and_sign_in_floods(tmp_path):
    """While four people upload 20 MiB forms with adversarial content and 60 strangers try to sign in
    at once, /health keeps answering: median within 100 ms, none slower than 2 s (a busy machine's
    scheduler, not the agent, sets the tail)."""
    # The strangers come from their own addresses (X-Forwarded-For from the loopback proxy), so the
    # flood's address lock does not fall on the admin's own address.
    agent = start_agent(tmp_path / "data", {"FORWARDED_ALLOW_IPS": "127.0.0.1"})
    try:
        check_health_under_attack(agent)
    finally:
        agent.stop()


def check_health_under_attack(agent) -> None:
    response = signup(agent, "admin@example.com", name="Admin")
    assert response.status_code == 200, (response.status_code, response.text[:300])
    admin = response.json()
    tokens = make_users(agent, admin, 4)
    near = (b"\r\n--" + b"b" * 69 + b"x") * ((1 << 20) // 74)
    stop = threading.Event()
    latencies: list[float] = []
    failures: list[str] = []
    outcomes: dict[str, list] = {"upload": [], "signin": []}

    def poll_health() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = session.get(agent.url + "/health", timeout=10)
                    if response.status_code != 200:
                        failures.append(f"/health {response.status_code}: {response.text[:200]}")
                except requests.RequestException as error:
                    failures.append(f"/health: {error!r}")
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)

    def upload(token: str) -> None:
        try:
            response = requests.post(agent.url + "/api/v1/files/", data=multipart("b" * 70, "near.txt", lambda: near, 20),
                                     headers={**bearer(token), "Content-Type": "multipart/form-data; boundary=" + "b" * 70}, timeout=300)
            outcomes["upload"].append(response.status_code)
        except requests.RequestException as error:
            outcomes["upload"].append(repr(error))

    def sign_in(index: int) -> None:
        try:
            response = requests.post(agent.url + "/api/v1/auths/signin", json={"email": f"stranger{index}@example.com", "password": "wrong-password"},
                                     headers={"X-Forwarded-For": f"198.51.100.{index}"}, timeout=120)
            outcomes["signin"].append(response.status_code)
        except requests.RequestException as error:
            outcomes["signin"].append(repr(error))

    poller = threading.Thread(target=poll_health)
    poller.start()
    time.sleep(0.5)
    quiet = len(latencies)
    attackers = [threading.Thread(target=upload, args=(token,)) for token in tokens]
    attackers += [threading.Thread(target=sign_in, args=(index,)) for index in range(60)]
    for thread in attackers:
        thread.start()
    for thread in attackers:
        thread.join()
    stop.set()
    poller.join()
    under_attack = latencies[quiet:]
    assert len(under_attack) >= 5, f"only {len(under_attack)} health checks ran during the attack"
    median_ms = statistics.median(under_attack) * 1000
    worst_ms = max(under_attack) * 1000
    print(f"/health under attack: {len(under_attack)} checks, median {median_ms:.1f} ms, max {worst_ms:.1f} ms; "
          f"uploads {sorted(map(str, outcomes['upload']))}; sign-ins {sorted(map(str, outcomes['signin']))}")
    assert failures == [], failures
    assert median_ms <= 100, f"/health median {median_ms:.1f} ms under attack (max {worst_ms:.1f} ms)"
    assert worst_ms <= 2000, f"/health took {worst_ms:.1f} ms once under attack (median {median_ms:.1f} ms)"
    # The attack was refused the way it should be: uploads stored, sign-ins wrong or throttled; nothing 5xx.
    assert all(status == 200 for status in outcomes["upload"]), outcomes["upload"]
    assert all(status in (400, 429, 503) for status in outcomes["signin"]), outcomes["signin"]
    after = requests.post(agent.url + "/api/v1/auths/signin", json={"email": "admin@example.com", "password": PASSWORD}, timeout=60)
    assert after.status_code == 200, ("the admin could not sign in after the flood", after.status_code, after.text[:300])
