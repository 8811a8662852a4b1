"""Fixtures for the integration tier: the real `mai-agent` binary, real HTTP, a real SQLite file."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def agent_binary() -> Path:
    """The binary under test: $MAI_AGENT_BIN, else the debug build."""
    path = Path(os.environ.get("MAI_AGENT_BIN", ROOT / ".build" / "debug" / "mai-agent"))
    if not path.exists():
        pytest.fail(f"{path} does not exist: run `swift build` first (make test does)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Agent:
    """A running agent: its base URL, data directory, process and captured stderr file."""

    url: str
    data_dir: Path
    proc: subprocess.Popen
    log_path: Path
    env: dict = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


def start_agent(data_dir: Path, extra_env: dict | None = None, port: int | None = None) -> Agent:
    """Starts the agent and waits (≤ 15 s) for /health to answer 200."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBUI_", "DATABASE_", "ENABLE_", "JWT_"))}
    env.update({"PORT": str(port), "HOST": "127.0.0.1", "DATA_DIR": str(data_dir), "LOG_LEVEL": "info"})
    env.update(extra_env or {})
    log_path = data_dir.parent / f"agent-{port}.log"
    log_file = open(log_path, "wb")
    proc = subprocess.Popen([str(agent_binary()), "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"agent exited with {proc.returncode}: {log_path.read_text()}")
        try:
            if requests.get(url + "/health", timeout=0.5).status_code == 200:
                return Agent(url=url, data_dir=data_dir, proc=proc, log_path=log_path, env=env)
        except requests.RequestException:
            pass
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"agent did not become healthy: {log_path.read_text()}")


@pytest.fixture
def agent(tmp_path: Path):
    """A fresh agent on a fresh data directory, stopped after the test."""
    running = start_agent(tmp_path / "data")
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()


def run_cli(args: list[str], data_dir: Path, stdin: str | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs `mai-agent ARGS` against `data_dir` and returns the completed process (text mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBUI_", "DATABASE_", "ENABLE_", "JWT_"))}
    env.update({"DATA_DIR": str(data_dir)})
    env.update(extra_env or {})
    return subprocess.run([str(agent_binary()), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


# --- Helpers shared by the integration tests (added for the startup/accounts/CLI/bad-input tiers) ---

PASSWORD = "correct-horse-battery-staple"
"""The password the helpers use unless told otherwise (≥ 8 characters, unusual enough to grep logs for)."""


def bearer(token: str) -> dict:
    """An Authorization header for an access token or API key."""
    return {"Authorization": f"Bearer {token}"}


def signup(agent: Agent, email: str, password: str = PASSWORD, name: str = "Test User", timeout: float = 30) -> requests.Response:
    """POST /api/v1/auths/signup (one bcrypt hash)."""
    return requests.post(agent.url + "/api/v1/auths/signup", json={"name": name, "email": email, "password": password}, timeout=timeout)


def signin(agent: Agent, email: str, password: str = PASSWORD, session: requests.Session | None = None, timeout: float = 30) -> requests.Response:
    """POST /api/v1/auths/signin (one bcrypt verification), optionally through `session` to keep cookies."""
    http = session or requests
    return http.post(agent.url + "/api/v1/auths/signin", json={"email": email, "password": password}, timeout=timeout)


def assert_json_detail(response: requests.Response) -> str:
    """Asserts the answer is a JSON object with a non-empty string `detail` and returns that detail."""
    assert response.headers.get("Content-Type", "").startswith("application/json"), (response.status_code, response.headers, response.text[:300])
    body = response.json()
    assert isinstance(body, dict), body
    detail = body.get("detail")
    assert isinstance(detail, str) and detail.strip(), body
    return detail


@pytest.fixture
def admin(agent: Agent) -> dict:
    """The first account of `agent` (so an admin): the sign-up answer, with `email` and `password`."""
    response = signup(agent, "admin@example.com", name="Admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["role"] == "admin", body
    return {**body, "password": PASSWORD}


# --- The OpenRouter simulator, for everything that chats -------------------------------------

def sim_binary() -> Path:
    """The simulator: $MAI_SIM_BIN, else beside the agent binary."""
    path = Path(os.environ.get("MAI_SIM_BIN", agent_binary().parent / "mai-sim"))
    if not path.exists():
        pytest.fail(f"{path} does not exist: run `swift build --product mai-sim` first (make test does)")
    return path


@dataclass
class Simulator:
    """A running `mai-sim openrouter`: base URL (…/api/v1) and its control API."""

    url: str
    proc: subprocess.Popen

    @property
    def base_url(self) -> str:
        return self.url + "/api/v1"

    def generations(self) -> list:
        return requests.get(self.url + "/__sim/generations", timeout=5).json()


def start_simulator(tmp: Path, extra_args: list[str] | None = None) -> Simulator:
    port = free_port()
    log = open(tmp / f"sim-{port}.log", "wb")
    proc = subprocess.Popen([str(sim_binary()), "openrouter", "--port", str(port), *(extra_args or [])], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mai-sim exited with {proc.returncode}: {(tmp / f'sim-{port}.log').read_text()}")
        try:
            requests.get(url + "/api/v1/models", timeout=0.5)
            return Simulator(url=url, proc=proc)
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("mai-sim did not start")


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    """One OpenRouter simulator for the whole session."""
    sim = start_simulator(tmp_path_factory.mktemp("sim"))
    yield sim
    sim.proc.terminate()
    sim.proc.wait(10)


@pytest.fixture
def chat_agent(tmp_path: Path, simulator: Simulator):
    """A fresh agent whose OpenRouter connection is the simulator."""
    running = start_agent(tmp_path / "data", {
        "OPENROUTER_API_KEY": "sk-or-v1-integration-test-key",
        "OPENROUTER_BASE_URL": simulator.base_url,
    })
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()


# --- Browser tests of the chat UI (test_chat_browser.py) ----------------------------------------

@pytest.fixture
def chat_users(chat_agent: Agent) -> dict:
    """On `chat_agent`: the administrator (first sign-up) and an employee (role user) added by it,
    each as {name, email, password}."""
    admin_account = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct-horse-1"}
    employee = {"name": "Emil Employee", "email": "emil@example.com", "password": "battery-staple-2"}
    response = signup(chat_agent, admin_account["email"], admin_account["password"], admin_account["name"])
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    added = requests.post(chat_agent.url + "/api/v1/auths/add", headers=bearer(token), timeout=30,
                          json={**employee, "role": "user"})
    assert added.status_code == 200, added.text
    return {"admin": admin_account, "employee": employee, "admin_token": token}


# --- Browser tests of the usage pages (test_usage_browser.py) -----------------------------------

@pytest.fixture
def usage_agent(tmp_path: Path, simulator: Simulator):
    """Like `chat_agent`, but the usage dashboard refreshes every 2 s (USAGE_REFRESH_SECONDS)."""
    running = start_agent(tmp_path / "data", {
        "OPENROUTER_API_KEY": "sk-or-v1-integration-test-key",
        "OPENROUTER_BASE_URL": simulator.base_url,
        "USAGE_REFRESH_SECONDS": "2",
    })
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()


@pytest.fixture
def usage_users(usage_agent: Agent) -> dict:
    """On `usage_agent`: the administrator and an employee, each as {id, name, email, password},
    plus `admin_token`."""
    admin_account = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct-horse-1"}
    employee = {"name": "Emil Employee", "email": "emil@example.com", "password": "battery-staple-2"}
    response = signup(usage_agent, admin_account["email"], admin_account["password"], admin_account["name"])
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    admin_account["id"] = response.json()["id"]
    added = requests.post(usage_agent.url + "/api/v1/auths/add", headers=bearer(token), timeout=30,
                          json={**employee, "role": "user"})
    assert added.status_code == 200, added.text
    employee["id"] = added.json()["id"]
    return {"admin": admin_account, "employee": employee, "admin_token": token}
