"""Start-up, configuration, secret key, logging and shutdown of the real `mai-agent` binary."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import PASSWORD, agent_binary, bearer, free_port, run_cli, signin, signup, start_agent


def run_serve(env: dict, timeout: float = 10) -> subprocess.CompletedProcess:
    """Runs `mai-agent serve` with `env` over a clean environment; fails the test if it outlives `timeout`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WEBUI_", "DATABASE_", "ENABLE_", "JWT_", "DEFAULT_", "ENV", "PORT", "DATA_DIR"))}
    base.update(env)
    return subprocess.run([str(agent_binary()), "serve"], env=base, capture_output=True, text=True, timeout=timeout)


def _invalid_cases(tmp: Path) -> dict[str, dict]:
    afile = tmp / "afile"
    return {
        "PORT=abc": {"PORT": "abc"},
        "PORT=70000": {"PORT": "70000"},
        "ENV=staging": {"ENV": "staging"},
        "JWT_EXPIRES_IN=soon": {"JWT_EXPIRES_IN": "soon"},
        "DATA_DIR below a file": {"DATA_DIR": str(afile / "sub")},
        "WEBUI_SECRET_KEY too short": {"WEBUI_SECRET_KEY": "short-secret"},
        "DEFAULT_USER_ROLE=admin": {"DEFAULT_USER_ROLE": "admin"},
        "DATABASE_URL=postgres://x": {"DATABASE_URL": "postgres://x"},
    }


@pytest.mark.parametrize(
    "case",
    list(_invalid_cases(Path("/unused"))),
)
def test_invalid_configuration_exits_78_with_one_line(case: str, tmp_path: Path):
    (tmp_path / "afile").write_text("I am a regular file, not a directory\n")
    bad = _invalid_cases(tmp_path)[case]
    variable = next(iter(bad))
    env = {"PORT": str(free_port()), "HOST": "127.0.0.1", "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "info"}
    env.update(bad)

    started = time.monotonic()
    result = run_serve(env, timeout=10)
    elapsed = time.monotonic() - started

    assert result.returncode == 78, (result.returncode, result.stdout, result.stderr)
    assert elapsed < 10
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"stderr should be exactly one line, got {lines!r}"
    assert lines[0].startswith(f"mai-agent: invalid configuration: {variable}:"), lines[0]
    assert result.stdout == ""


def test_generated_secret_key_is_kept_and_tokens_survive_restart(tmp_path: Path):
    data = tmp_path / "data"
    first = start_agent(data)
    try:
        key_file = data / ".webui_secret_key"
        assert key_file.is_file()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text()
        assert len(key.strip()) >= 32

        response = signup(first, "owner@example.com")
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        assert requests.get(first.url + "/api/v1/auths/", headers=bearer(token), timeout=5).status_code == 200
    finally:
        assert first.stop() == 0, first.log()[-3000:]

    second = start_agent(data)
    try:
        assert key_file.read_text() == key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        me = requests.get(second.url + "/api/v1/auths/", headers=bearer(token), timeout=5)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == "owner@example.com"
    finally:
        assert second.stop() == 0, second.log()[-3000:]


def test_prod_logs_are_json_and_never_contain_secrets(tmp_path: Path):
    agent = start_agent(tmp_path / "data", {"ENV": "prod"})
    try:
        password = "Sup3r-secret-Passw0rd-xyz"
        up = signup(agent, "ops@example.com", password=password)
        assert up.status_code == 200, up.text
        bad = signin(agent, "ops@example.com", password="wrong-" + password)
        assert bad.status_code == 400, (bad.status_code, bad.text[:500])
        good = signin(agent, "ops@example.com", password=password)
        assert good.status_code == 200, good.text
        tokens = [up.json()["token"], up.json()["refresh_token"], good.json()["token"], good.json()["refresh_token"]]
        assert requests.get(agent.url + "/api/v1/auths/", headers=bearer(tokens[2]), timeout=5).status_code == 200
    finally:
        assert agent.stop() == 0, agent.log()[-3000:]

    log = agent.log()
    records = []
    for line in log.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))  # every JSON-looking line must be valid JSON
    assert any("listening" in r.get("msg", "") for r in records), log
    assert any(r.get("msg") == "request" for r in records), log
    assert all({"ts", "level", "msg"} <= r.keys() for r in records)
    assert password not in log
    for token in tokens:
        assert token not in log


def test_request_id_is_echoed_and_logged(agent):
    request_id = "itest-req-4242-abc"
    response = requests.get(agent.url + "/api/config", headers={"X-Request-Id": request_id}, timeout=5)
    assert response.status_code == 200, (response.status_code, response.text[:500])
    assert response.headers.get("X-Request-Id") == request_id

    generated = requests.get(agent.url + "/api/config", timeout=5).headers.get("X-Request-Id")
    assert generated and generated != request_id

    deadline = time.monotonic() + 5
    while request_id not in agent.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert request_id in agent.log()


def test_sigterm_drains_a_signup_in_flight(tmp_path: Path):
    agent = start_agent(tmp_path / "data")
    result: dict = {}

    def slow_signup():
        try:
            result["response"] = signup(agent, "late@example.com")
        except Exception as error:  # reported by the assertion below
            result["error"] = error

    thread = threading.Thread(target=slow_signup)
    thread.start()
    time.sleep(0.1)
    agent.proc.send_signal(signal.SIGTERM)
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert "error" not in result, result
    assert result["response"].status_code == 200, result["response"].text
    assert result["response"].json()["role"] == "admin"
    assert agent.proc.wait(timeout=10) == 0, agent.log()


def test_migrate_then_serve(tmp_path: Path):
    data = tmp_path / "data"
    first = run_cli(["migrate"], data)
    assert first.returncode == 0, first.stderr
    assert "v1-accounts" in first.stdout
    assert "Applied" in first.stdout
    assert (data / "webui.db").is_file()

    second = run_cli(["migrate"], data)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert "Applied" not in second.stdout

    agent = start_agent(data)
    try:
        assert requests.get(agent.url + "/health", timeout=5).status_code == 200
        assert requests.get(agent.url + "/health/db", timeout=5).status_code == 401  # administrators only
        config = requests.get(agent.url + "/api/config", timeout=5).json()
        assert config["onboarding"] is True
    finally:
        assert agent.stop() == 0, agent.log()[-3000:]


def test_a_log_reader_that_goes_away_does_not_stop_the_agent(tmp_path: Path):
    """A supervisor's log pipe whose reader exits (here: stderr into a pipe closed at once) must
    not take the server down: the log lines are lost, requests are still answered."""
    port = free_port()
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read stderr: every log write fails with EPIPE
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WEBUI_", "DATABASE_", "ENABLE_", "JWT_", "DEFAULT_", "ENV", "PORT", "DATA_DIR"))}
    base.update({"PORT": str(port), "HOST": "127.0.0.1", "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "debug"})
    proc = subprocess.Popen([str(agent_binary()), "serve"], env=base, stdout=subprocess.DEVNULL, stderr=write_end)
    os.close(write_end)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the agent exited with {proc.returncode} when its stderr pipe was closed"
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the agent did not answer /health within 30 s"
            time.sleep(0.1)
        # Every request logs a line (debug): many failed writes later it still answers.
        for _ in range(50):
            assert requests.get(f"http://127.0.0.1:{port}/api/config", timeout=5).status_code == 200
        assert requests.post(f"http://127.0.0.1:{port}/api/v1/auths/signin", json={"email": "x@example.com", "password": "wrong password"},
                             timeout=30).status_code in (400, 401)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
