"""Usage accounting and the fleet admin API, live: the real `mai-agent` and `mai-sim` binaries, real
HTTP, the real SQLite file.

What an operator relies on:
- a `kill -9` of `mai-agent usage sync` (or of the agent itself) loses no usage row and counts none
  twice: the books equal what OpenRouter (the simulator) charged, to the nano-dollar;
- the admin listener answers only with MAI_FLEET_TOKEN, reports status and usage, swaps the
  OpenRouter key without losing the old key's pending confirmations;
- `usage prune` refuses without --yes, keeps provisional rows and leaves every report unchanged;
- a used-up budget stops the employee's chats with 402, as the openai SDK sees it.

Every test runs its own simulator (`--generation-delay 0 --chunk-delay-ms 0`) and gives its agent its
own OpenRouter key, so key behaviours never leak between tests. Amounts are compared as integers of
nano-dollars parsed with `decimal.Decimal`, never floats.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openai
import pytest
import requests

from conftest import (Agent, Simulator, agent_binary, bearer, free_port, run_cli, signin, signup,
                      start_agent, start_simulator)

NANO = Decimal(1_000_000_000)
MODELS = ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "google/gemini-2.0-flash-001", "deepseek/deepseek-chat"]
EMPLOYEE = {"name": "Emil Employee", "email": "emil@example.com", "password": "battery-staple-2"}
ADMIN = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct-horse-1"}


# MARK: - Helpers

def nanos(amount) -> int:
    """An exact dollar amount (decimal string, or a Decimal parsed from JSON) as integer nano-dollars."""
    value = Decimal(str(amount)) * NANO
    assert value == value.to_integral_value(), f"{amount!r} has more than 9 decimals"
    return int(value)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_openrouter_key(tag: str) -> str:
    return f"sk-or-v1-{tag}-{uuid.uuid4().hex}"


def wait_for(predicate, timeout: float, interval: float = 0.02, what: str = "condition", show=None):
    """Polls `predicate` until it returns something truthy (returned) or the deadline passes; on
    timeout the failure includes `show()` (what the state was)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f"; state: {show()}" if show else ""))
        time.sleep(interval)


class Sim:
    """Control-API helpers for one simulator."""

    def __init__(self, simulator: Simulator):
        self.s = simulator
        self.url = simulator.url
        self.base_url = simulator.base_url

    def generations(self) -> list[dict]:
        """GET /__sim/generations with numbers parsed exactly (the cost is a JSON number)."""
        response = requests.get(self.url + "/__sim/generations", timeout=10)
        assert response.status_code == 200, response.text
        return json.loads(response.text, parse_float=Decimal)["data"]

    def register(self, key: str, **behavior) -> str:
        response = requests.post(self.url + "/__sim/keys", json={"key": key, "behavior": behavior}, timeout=10)
        assert response.status_code == 201, response.text
        assert response.json()["hash"] == sha256_hex(key)
        return response.json()["hash"]


@pytest.fixture
def sim(tmp_path: Path):
    """This test's own OpenRouter simulator: /generation answers at once, no pacing between chunks."""
    directory = tmp_path / "sim"
    directory.mkdir()
    simulator = start_simulator(directory, ["--generation-delay", "0", "--chunk-delay-ms", "0"])
    yield Sim(simulator)
    simulator.proc.terminate()
    try:
        simulator.proc.wait(10)
    except subprocess.TimeoutExpired:
        simulator.proc.kill()


class Rig:
    """An agent on its own simulator and OpenRouter key, with the fleet admin API, an admin and an
    employee (JWTs, the employee's id and API key)."""

    def __init__(self, tmp_path: Path, sim: Sim, fleet: bool = True, name: str = "rig", usage_env: dict | None = None):
        self.sim = sim
        self.data_dir = tmp_path / f"data-{name}"
        self.key = new_openrouter_key(name)
        self.fleet_token = "fleet-" + uuid.uuid4().hex + uuid.uuid4().hex if fleet else None
        self.env = {"OPENROUTER_API_KEY": self.key, "OPENROUTER_BASE_URL": sim.base_url, "MAI_INSTANCE": name}
        self.env.update(usage_env or {})
        self.agent: Agent | None = None
        self.start()

    # Process

    def start(self) -> Agent:
        env = dict(self.env)
        if self.fleet_token:
            self.admin_port = free_port()
            env.update({"MAI_FLEET_TOKEN": self.fleet_token, "ADMIN_BIND": f"127.0.0.1:{self.admin_port}"})
        self.agent = start_agent(self.data_dir, env)
        if self.fleet_token:
            wait_for(lambda: self._admin_up(), 10, what="the admin listener")
        return self.agent

    def _admin_up(self) -> bool:
        try:
            requests.get(self.admin_url + "/admin/v1/health", timeout=0.5)
            return True
        except requests.ConnectionError:
            return False

    def stop(self):
        if self.agent and self.agent.proc.poll() is None:
            self.agent.proc.kill()
            self.agent.proc.wait(10)

    @property
    def url(self) -> str:
        return self.agent.url

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """`mai-agent ARGS` on this agent's DATA_DIR with its environment; stdin is a pipe, never a TTY."""
        return run_cli(list(args), self.data_dir, stdin=stdin, extra_env=self.env)

    def cli_popen(self, *args: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBUI_", "DATABASE_", "ENABLE_", "JWT_"))}
        env.update({"DATA_DIR": str(self.data_dir), **self.env})
        return subprocess.Popen([str(agent_binary()), *args], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # Accounts

    def accounts(self):
        response = signup(self.agent, ADMIN["email"], ADMIN["password"], ADMIN["name"])
        assert response.status_code == 200, response.text
        self.admin_token = response.json()["token"]
        added = requests.post(self.url + "/api/v1/auths/add", headers=bearer(self.admin_token), timeout=30, json={**EMPLOYEE, "role": "user"})
        assert added.status_code == 200, added.text
        self.employee_id = added.json()["id"]
        response = signin(self.agent, EMPLOYEE["email"], EMPLOYEE["password"])
        assert response.status_code == 200, response.text
        self.employee_token = response.json()["token"]
        key = requests.post(self.url + "/api/v1/auths/api_key", headers=bearer(self.employee_token), timeout=10)
        assert key.status_code == 200, key.text
        self.employee_key = key.json()["api_key"]
        return self

    # Traffic

    def complete(self, text: str, model: str = MODELS[0], token: str | None = None) -> dict:
        """One non-streamed completion through the OpenAI-compatible /v1 (the employee's API key)."""
        response = requests.post(self.url + "/v1/chat/completions", headers=bearer(token or self.employee_key), timeout=60,
                                 json={"model": model, "messages": [{"role": "user", "content": text}]})
        assert response.status_code == 200, response.text
        return response.json()

    def complete_many(self, count: int, workers: int = 16) -> list[dict]:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda i: self.complete(f"Question {i}: how do I brew tea? [[sim:tokens={5 + i % 7}]]", MODELS[i % len(MODELS)]),
                                 range(count)))

    # Admin API

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.admin_url + path, headers=bearer(self.fleet_token), timeout=30, **kwargs)

    def admin_json(self, path: str) -> dict:
        response = self.admin("GET", path)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def app_json(self, path: str, token: str | None = None) -> dict:
        response = requests.get(self.url + path, headers=bearer(token or self.admin_token), timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    # Database

    def db(self, sql: str, args: tuple = ()) -> list[tuple]:
        connection = sqlite3.connect(str(self.data_dir / "webui.db"), timeout=10)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def status_counts(self) -> dict:
        return dict(self.db("SELECT status, COUNT(*) FROM generations GROUP BY status"))


@pytest.fixture
def rigs(tmp_path):
    """Makes rigs and kills their agents after the test."""
    made: list[Rig] = []

    def make(sim: Sim, **kwargs) -> Rig:
        rig = Rig(tmp_path, sim, **kwargs)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.stop()


def my_generations(sim: Sim, *keys: str) -> list[dict]:
    hashes = {sha256_hex(k) for k in keys}
    return [g for g in sim.generations() if g["key_hash"] in hashes]


# MARK: - 1. kill -9 during confirmation and during streams

def test_kill_during_confirmation_loses_nothing_and_counts_nothing_twice(sim, rigs):
    rig = rigs(sim, name="killsync").accounts()
    # More than one confirmation batch (200 rows) so a pass confirms some rows while others are still
    # being looked up: the window in which the kill must not lose or double anything. (A pass writes a
    # batch only after every lookup in it has answered, so with ~60 rows a kill after ~1 s finds
    # nothing confirmed yet: all lookups done so far are thrown away and redone.)
    count = 240
    answers = rig.complete_many(count)
    assert len({a["id"] for a in answers}) == count
    assert len({a["model"] for a in answers}) == len(MODELS)
    assert rig.status_counts() == {"provisional": count}

    # OpenRouter answers /generation slowly: a pass now takes seconds.
    rig.sim.register(rig.key, generation_latency_ms=150)
    sync = rig.cli_popen("usage", "sync")
    started = time.monotonic()
    try:
        wait_for(lambda: rig.status_counts().get("confirmed", 0) > 0 or sync.poll() is not None, 30, interval=0.005,
                 what="the first confirmed rows")
        sync.send_signal(signal.SIGKILL)
        sync.wait(10)
    finally:
        if sync.poll() is None:
            sync.kill()
    killed_after = time.monotonic() - started
    assert sync.returncode == -signal.SIGKILL, (sync.returncode, sync.stdout.read(), sync.stderr.read())
    counts = rig.status_counts()
    assert 0 < counts.get("confirmed", 0) < count and counts.get("provisional", 0) > 0, (counts, killed_after)
    assert sum(counts.values()) == count, counts
    # The roll-ups moved exactly with the rows that were confirmed before the kill.
    assert rig.db("SELECT SUM(confirmed), SUM(provisional), SUM(requests) FROM usage_daily") == [(counts["confirmed"], counts["provisional"], count)]

    # Again, with OpenRouter fast, to the end.
    rig.sim.register(rig.key)
    again = rig.cli("usage", "sync")
    assert again.returncode == 0, again.stderr
    assert f"Confirmed {counts['provisional']}," in again.stdout, again.stdout
    assert "0 still provisional" in again.stdout, again.stdout

    served = my_generations(rig.sim, rig.key)
    assert len(served) == count
    simulator_nanos = sum(nanos(g["cost"]) for g in served)
    assert simulator_nanos > 0
    assert rig.status_counts() == {"confirmed": count}
    assert rig.db("SELECT COUNT(*) FROM generations") == [(count,)]
    # Each row carries OpenRouter's own cost for its own generation.
    confirmed = dict(rig.db("SELECT upstream_id, confirmed_cost_nanos FROM generations"))
    assert confirmed == {g["id"]: nanos(g["cost"]) for g in served}
    (daily_nanos, daily_confirmed, daily_requests, daily_provisional), = rig.db(
        "SELECT SUM(cost_nanos), SUM(confirmed), SUM(requests), SUM(provisional) FROM usage_daily")
    assert (daily_nanos, daily_confirmed, daily_requests, daily_provisional) == (simulator_nanos, count, count, 0)

    report = rig.admin_json("/admin/v1/usage")
    totals = report["totals"]
    assert isinstance(totals["raw_cost"], str) and "e" not in totals["raw_cost"].lower(), totals
    assert nanos(totals["raw_cost"]) == simulator_nanos, (totals["raw_cost"], simulator_nanos)
    assert totals["requests"] == count and totals["confirmed"] == count and totals["provisional"] == 0, totals
    by_model = rig.admin_json("/admin/v1/usage?group_by=model")
    assert {row["key"] for row in by_model["rows"]} == set(MODELS)
    assert sum(nanos(row["totals"]["raw_cost"]) for row in by_model["rows"]) == simulator_nanos

    # Now kill -9 the agent itself while it relays three slow streams into saved chats.
    chats = []
    for i in range(3):
        created = requests.post(rig.url + "/api/v1/chats/new", headers=bearer(rig.employee_token), timeout=10,
                                json={"chat": {"title": f"Slow {i}", "models": [MODELS[0]], "history": {"messages": {}, "currentId": None}}})
        assert created.status_code == 200, created.text
        chats.append(created.json()["id"])
    streams = []
    for i, chat in enumerate(chats):
        response = requests.post(rig.url + "/api/chat/completions", headers=bearer(rig.employee_token), timeout=60, stream=True,
                                 json={"model": MODELS[0], "stream": True, "chat_id": chat,
                                       "messages": [{"role": "user", "content": f"Tell me a long story {i} [[sim:tps=5]] [[sim:tokens=200]]"}]})
        assert response.status_code == 200, response.text
        streams.append(response)
    lines = [s.iter_lines() for s in streams]
    for it in lines:  # each stream has delivered content: it is really mid-answer
        wait_for(lambda: b'"content"' in next(it), 15, interval=0, what="streamed content")
    streaming = rig.db("SELECT chat_id FROM chat_messages WHERE role = 'assistant' AND status = 'streaming'")
    assert sorted(c for (c,) in streaming) == sorted(chats)
    books_before = rig.admin_json("/admin/v1/usage")["totals"]

    assert rig.agent.stop(signal.SIGKILL) == -signal.SIGKILL
    for s in streams:
        s.close()
    restarted_at = int(time.time())
    rig.start()

    rows = rig.db("SELECT chat_id, status, error FROM chat_messages WHERE role = 'assistant'")
    assert sorted(c for c, _, _ in rows) == sorted(chats)
    assert {status for _, status, _ in rows} == {"interrupted"}, rows
    assert all(error for _, _, error in rows), rows
    for chat in chats:
        view = requests.get(rig.url + f"/api/v1/chats/{chat}", headers=bearer(rig.employee_token), timeout=10)
        assert view.status_code == 200, view.text
        assert "streaming" not in json.dumps(view.json().get("chat", {}).get("history", {})), view.text
    # The answers cut by the crash were booked when they started, so nothing they cost is lost:
    # the start-up confirmation pass confirms them with OpenRouter's own figures.
    assert books_before["requests"] == count + len(chats), books_before
    # Waits for what must be true at the end (every row confirmed), not for the absence of one state.
    wait_for(lambda: rig.db("SELECT COUNT(*) FROM generations WHERE status != 'confirmed'") == [(0,)], 15,
             what="the start-up confirmation pass to confirm every row",
             show=lambda: rig.db("SELECT status, finish_reason, upstream_id, last_error FROM generations WHERE status != 'confirmed'"))
    served_all = my_generations(rig.sim, rig.key)
    assert len(served_all) == count + len(chats)
    assert sum(1 for g in served_all if g.get("cancelled")) == len(chats)
    all_nanos = sum(nanos(g["cost"]) for g in served_all)
    assert rig.db("SELECT SUM(cost_nanos), SUM(requests), SUM(confirmed) FROM usage_daily") == [(all_nanos, count + len(chats), count + len(chats))]
    assert nanos(rig.admin_json("/admin/v1/usage")["totals"]["raw_cost"]) == all_nanos


def test_kill_before_the_first_token_loses_nothing(sim, rigs):
    """The agent dies while three requests wait for their first token: OpenRouter charged their
    prompts, and the rows booked when the requests left (named by `X-Generation-Id`) are confirmed
    at OpenRouter's figures after the restart. Books == the simulator's record, per day and model."""
    rig = rigs(sim, name="killfirst").accounts()
    streams = []
    for i, model in enumerate(MODELS[:3]):
        response = requests.post(rig.url + "/v1/chat/completions", headers=bearer(rig.employee_key), timeout=60, stream=True,
                                 json={"model": model, "stream": True,
                                       "messages": [{"role": "user", "content": f"wait for it {i} [[sim:latency_ms=60000]]"}]})
        assert response.status_code == 200, response.text
        streams.append(response)
    wait_for(lambda: rig.db("SELECT COUNT(*) FROM generations WHERE upstream_id IS NOT NULL AND finish_reason = 'streaming'") == [(3,)], 15,
             what="three rows named by X-Generation-Id before any token")
    assert rig.agent.stop(signal.SIGKILL) == -signal.SIGKILL
    for s in streams:
        s.close()
    wait_for(lambda: sum(1 for g in my_generations(rig.sim, rig.key) if g["cancelled"]) == 3, 20,
             what="the simulator to see the three requests cancelled")
    rig.start()
    wait_for(lambda: rig.db("SELECT COUNT(*) FROM generations WHERE status != 'confirmed'") == [(0,)], 20,
             what="the start-up confirmation pass to confirm every row",
             show=lambda: rig.db("SELECT status, finish_reason, upstream_id, last_error FROM generations WHERE status != 'confirmed'"))
    rows = rig.db("SELECT status, finish_reason FROM generations")
    assert rows == [("confirmed", "interrupted")] * 3, rows
    served = my_generations(rig.sim, rig.key)
    assert len(served) == 3 and all(nanos(g["cost"]) > 0 for g in served), served
    expected = {}
    for g in served:
        day = g["created_at"][:10]
        requests_, cost = expected.get((day, g["model"]), (0, 0))
        expected[(day, g["model"])] = (requests_ + 1, cost + nanos(g["cost"]))
    booked = {(day, model): (n, c) for day, model, n, c in
              rig.db("SELECT day, model, SUM(requests), SUM(cost_nanos) FROM usage_daily GROUP BY day, model")}
    assert booked == expected, (booked, expected)


def test_usage_sync_while_a_stream_runs_leaves_the_live_answer_alone(sim, rigs):
    """`usage sync` is meant to run beside the serving agent: it must not mark the agent's live
    answers as interrupted (that is only for answers a crash left behind)."""
    rig = rigs(sim, name="livesync", fleet=False).accounts()
    created = requests.post(rig.url + "/api/v1/chats/new", headers=bearer(rig.employee_token), timeout=10,
                            json={"chat": {"title": "Live", "models": [MODELS[0]], "history": {"messages": {}, "currentId": None}}})
    assert created.status_code == 200, created.text
    chat = created.json()["id"]
    stream = requests.post(rig.url + "/api/chat/completions", headers=bearer(rig.employee_token), timeout=60, stream=True,
                           json={"model": MODELS[0], "stream": True, "chat_id": chat,
                                 "messages": [{"role": "user", "content": "A story [[sim:tps=20]] [[sim:tokens=60]]"}]})
    try:
        assert stream.status_code == 200, stream.text
        lines = stream.iter_lines()
        wait_for(lambda: b'"content"' in next(lines), 15, interval=0, what="streamed content")
        result = rig.cli("usage", "sync")
        assert result.returncode == 0, result.stderr
        status = rig.db("SELECT status FROM chat_messages WHERE chat_id = ? AND role = 'assistant'", (chat,))
        assert status == [("streaming",)], f"`mai-agent usage sync` run beside the agent changed a live answer to {status}"
    finally:
        stream.close()


# MARK: - 2. The fleet admin API over real HTTP

def test_admin_listener_token_status_and_key_swap(sim, rigs):
    rig = rigs(sim, name="adminapi").accounts()
    token = rig.fleet_token

    # Without the token, with a wrong one: the same bare 401 on every path, known or not.
    paths = [("GET", "/admin/v1/status"), ("GET", "/admin/v1/usage"), ("GET", "/admin/v1/openrouter-key"),
             ("PUT", "/admin/v1/openrouter-key"), ("GET", "/admin/v1/health"), ("GET", "/metrics"),
             ("GET", "/admin/v1/no-such-thing"), ("POST", "/admin/v2/anything"), ("GET", "/"), ("GET", "/api/version")]
    wrong = [{}, bearer("wrong"), bearer(token[:-1]), bearer(token + "x"), bearer(token.upper()),
             {"Authorization": token}, {"Authorization": f"Basic {token}"}, bearer(rig.admin_token), bearer(rig.employee_key)]
    for method, path in paths:
        for headers in wrong:
            response = requests.request(method, rig.admin_url + path, headers=headers, timeout=10,
                                        json={"key": new_openrouter_key("nope")} if method == "PUT" else None)
            assert response.status_code == 401, (method, path, headers, response.status_code, response.text)
            assert response.json() == {"detail": "Unauthorized"}, (method, path, response.text)
            assert response.text == '{"detail":"Unauthorized"}', response.text
    # With it, an unknown path is an ordinary JSON 404.
    missing = rig.admin("GET", "/admin/v1/no-such-thing")
    assert missing.status_code == 404 and "detail" in missing.json(), missing.text

    # Two completions under the first key: provisional (the agent's own sync runs every 600 s).
    first = [rig.complete("Hello one"), rig.complete("Hello two", MODELS[1])]
    old_hash = sha256_hex(rig.key)
    assert {g["key_hash"] for g in my_generations(rig.sim, rig.key)} == {old_hash}

    status = rig.admin_json("/admin/v1/status")
    version = requests.get(rig.url + "/api/version", timeout=10).json()["version"]
    assert status["instance"] == "adminapi" and status["version"] == version and status["users"] == 2, status
    assert status["openrouter_key"]["hash"] == old_hash, status
    assert rig.key not in json.dumps(status)
    assert status["today"]["requests"] == 2 and status["today"]["provisional"] == 2, status
    served = my_generations(rig.sim, rig.key)
    assert nanos(status["today"]["raw_cost"]) == sum(nanos(g["cost"]) for g in served), (status["today"], served)
    key_state = rig.admin_json("/admin/v1/openrouter-key")
    assert key_state["current_hash"] == old_hash and key_state["provisional"] == 2 and key_state["old_keys"] == [], key_state

    # A key OpenRouter reports as disabled is refused, and nothing changes.
    disabled = new_openrouter_key("disabled")
    rig.sim.register(disabled, disabled=True)
    refused = rig.admin("PUT", "/admin/v1/openrouter-key", json={"key": disabled})
    assert refused.status_code == 400, refused.text
    assert refused.json()["detail"], refused.text
    assert disabled not in refused.text
    assert rig.admin_json("/admin/v1/openrouter-key") == key_state
    third = rig.complete("Still the first key")
    assert my_generations(rig.sim, disabled) == []
    assert len(my_generations(rig.sim, rig.key)) == 3

    # A fresh key: new completions go out under it at once.
    fresh = new_openrouter_key("fresh")
    swapped = rig.admin("PUT", "/admin/v1/openrouter-key", json={"key": fresh})
    assert swapped.status_code == 200, swapped.text
    state = swapped.json()
    assert state["current_hash"] == sha256_hex(fresh) and state["provisional"] == 0, state
    assert state["old_keys"] == [{"hash": old_hash, "provisional": 3, "in_flight": 0}], state
    assert fresh not in swapped.text
    after = rig.complete("Under the new key", MODELS[2])
    mine = [g for g in rig.sim.generations() if g["id"] == after["id"]]
    assert len(mine) == 1 and mine[0]["key_hash"] == sha256_hex(fresh), mine
    assert rig.admin_json("/admin/v1/status")["openrouter_key"]["hash"] == sha256_hex(fresh)

    # A later sync confirms the old key's rows with the old key, and the new key's with the new one.
    result = rig.cli("usage", "sync")
    assert result.returncode == 0, result.stderr
    assert "Confirmed 4," in result.stdout and "0 still provisional" in result.stdout, result.stdout
    state = rig.admin_json("/admin/v1/openrouter-key")
    assert state["current_hash"] == sha256_hex(fresh) and state["provisional"] == 0, state
    assert state["old_keys"] == [{"hash": old_hash, "provisional": 0, "in_flight": 0}], state
    assert rig.status_counts() == {"confirmed": 4}

    status = rig.admin_json("/admin/v1/status")
    run = status["last_confirmation"]
    assert run is not None and run["confirmed"] == 4 and run["remaining"] == 0 and run["failed"] == 0, status
    finished = datetime.fromisoformat(run["finished_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - finished).total_seconds()) < 60, run
    served = my_generations(rig.sim, rig.key, fresh)
    assert len(served) == 4
    assert status["today"]["requests"] == 4 and status["today"]["confirmed"] == 4, status
    assert nanos(status["today"]["raw_cost"]) == sum(nanos(g["cost"]) for g in served)
    expected_price = (Decimal(status["today"]["raw_cost"]) * Decimal(status["markup_rate"])).quantize(Decimal("1e-9"), ROUND_HALF_UP)
    assert Decimal(status["today"]["price"]) == expected_price, status
    assert {g["id"] for g in served} == {a["id"] for a in first} | {third["id"], after["id"]}


def test_admin_listener_is_off_without_a_token(sim, rigs, tmp_path):
    port = free_port()
    rig = rigs(sim, name="notoken", fleet=False, usage_env={"ADMIN_BIND": f"127.0.0.1:{port}"})
    assert requests.get(rig.url + "/health", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/admin/v1/status", timeout=5)
    wait_for(lambda: "admin API off" in rig.agent.log(), 5, what="the log line")
    assert "MAI_FLEET_TOKEN" in [line for line in rig.agent.log().splitlines() if "admin API off" in line][0]

    # A token shorter than 32 characters: refused at start with one line naming the variable.
    short = "s3cret-but-too-short-123"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBUI_", "DATABASE_", "ENABLE_", "JWT_"))}
    env.update({"DATA_DIR": str(tmp_path / "short"), "PORT": str(free_port()), "HOST": "127.0.0.1",
                "MAI_FLEET_TOKEN": short, "ADMIN_BIND": f"127.0.0.1:{free_port()}"})
    result = subprocess.run([str(agent_binary()), "serve"], env=env, capture_output=True, text=True, timeout=20)
    assert result.returncode == 78, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "MAI_FLEET_TOKEN" in lines[0], result.stderr
    assert short not in result.stderr + result.stdout


# MARK: - 3. The usage CLI

def test_usage_cli_sync_and_prune(sim, rigs):
    rig = rigs(sim, name="prunecli").accounts()
    for i in range(4):
        rig.complete(f"Prune me {i}", MODELS[i % len(MODELS)])
    synced = rig.cli("usage", "sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("Confirmed 4,") and "0 still provisional" in synced.stdout, synced.stdout
    for i in range(2):  # two more, not confirmed yet
        rig.complete(f"Keep me {i}", MODELS[1])
    assert rig.status_counts() == {"confirmed": 4, "provisional": 2}

    def reports() -> dict:
        seen = {}
        for grouping in ("day", "user", "model"):
            seen[f"admin-{grouping}"] = rig.admin_json(f"/admin/v1/usage?group_by={grouping}")
            seen[f"app-{grouping}"] = rig.app_json(f"/api/v1/usage/report?group_by={grouping}")
        seen["app-csv"] = requests.get(rig.url + "/api/v1/usage/report?group_by=model&format=csv", headers=bearer(rig.admin_token), timeout=10).text
        seen["employee"] = rig.app_json("/api/v1/usage/report?group_by=model", token=rig.employee_token)
        return seen

    before = reports()
    assert before["admin-day"]["totals"]["requests"] == 6

    tomorrow = (datetime.now(timezone.utc).date() + timedelta(days=1)).isoformat()
    refused = rig.cli("usage", "prune", "--before", tomorrow, stdin="")
    assert refused.returncode != 0, (refused.stdout, refused.stderr)
    assert "--yes" in refused.stderr, refused.stderr
    assert "Deleted" not in refused.stdout, refused.stdout
    assert rig.status_counts() == {"confirmed": 4, "provisional": 2}

    pruned = rig.cli("usage", "prune", "--before", tomorrow, "--yes")
    assert pruned.returncode == 0, pruned.stderr
    assert "Deleted 4 rows." in pruned.stdout, pruned.stdout
    assert "2 older rows still wait for confirmation and are kept" in pruned.stdout, pruned.stdout
    assert rig.status_counts() == {"provisional": 2}
    assert reports() == before

    # Nothing left to delete: says so, exits 0 even without --yes.
    nothing = rig.cli("usage", "prune", "--before", tomorrow, stdin="")
    assert nothing.returncode == 0 and "Will delete 0" in nothing.stdout, (nothing.returncode, nothing.stdout, nothing.stderr)

    bad = rig.cli("usage", "prune", "--before", "not-a-date", "--yes")
    assert bad.returncode == 64, (bad.returncode, bad.stdout, bad.stderr)
    assert "--before" in bad.stderr and "YYYY-MM-DD" in bad.stderr, bad.stderr
    assert rig.status_counts() == {"provisional": 2}

    # The kept rows still confirm afterwards, and the books then still equal OpenRouter's.
    last = rig.cli("usage", "sync")
    assert last.returncode == 0 and last.stdout.startswith("Confirmed 2,"), last.stdout
    served = my_generations(rig.sim, rig.key)
    assert nanos(rig.admin_json("/admin/v1/usage")["totals"]["raw_cost"]) == sum(nanos(g["cost"]) for g in served)


# MARK: - 4. Budgets

def test_budget_stops_the_employee_with_402(sim, rigs):
    rig = rigs(sim, name="budget", fleet=False).accounts()
    rig.complete("My first question costs something")
    limited = requests.post(rig.url + "/api/v1/usage/budgets", headers=bearer(rig.admin_token), timeout=10,
                            json={"user_id": rig.employee_id, "monthly_limit": "0.000001"})
    assert limited.status_code == 200, limited.text
    line = [b for b in limited.json()["budgets"] if b["user_id"] == rig.employee_id]
    assert line and line[0]["used_percent"] >= 100 and line[0]["near_limit"], limited.json()
    served_before = len(rig.sim.generations())

    refused = requests.post(rig.url + "/api/chat/completions", headers=bearer(rig.employee_token), timeout=10,
                            json={"model": MODELS[0], "stream": True, "messages": [{"role": "user", "content": "one more"}]})
    assert refused.status_code == 402, refused.text
    assert "budget" in refused.json()["detail"].lower(), refused.text

    client = openai.OpenAI(api_key=rig.employee_key, base_url=rig.url + "/v1", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MODELS[0], messages=[{"role": "user", "content": "and another"}])
    assert caught.value.status_code == 402
    assert "budget" in str(caught.value).lower()
    with pytest.raises(openai.APIStatusError) as caught_stream:
        client.chat.completions.create(model=MODELS[0], stream=True, messages=[{"role": "user", "content": "streamed"}])
    assert caught_stream.value.status_code == 402
    assert len(rig.sim.generations()) == served_before, "a refused request reached OpenRouter"

    # The admin is not limited; lifting the limit lets the employee chat again.
    rig.complete("Admin asks", token=rig.admin_token)
    lifted = requests.post(rig.url + "/api/v1/usage/budgets", headers=bearer(rig.admin_token), timeout=10,
                           json={"user_id": rig.employee_id, "monthly_limit": None})
    assert lifted.status_code == 200, lifted.text
    answer = client.chat.completions.create(model=MODELS[0], messages=[{"role": "user", "content": "back again"}])
    assert answer.choices[0].message.content


def test_a_new_markup_applies_from_the_next_day_and_never_reprices_a_booked_day(sim, rigs):
    """The operator deploys a new MARKUP_RATE mid-day: today keeps the rate it started with (what the
    client was shown this morning stays true), the new rate is what the next day starts with, and
    the admin API, the dashboard's summary and its report all price today the same way."""
    rig = rigs(sim, name="markup", usage_env={"MARKUP_RATE": "1.3"}).accounts()
    rig.complete("Before the change [[sim:tokens=9]]")
    rig.stop()
    rig.env["MARKUP_RATE"] = "1.75"
    rig.start()
    rig.complete("After the change [[sim:tokens=11]]", MODELS[1])
    synced = rig.cli("usage", "sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert rig.status_counts() == {"confirmed": 2}, rig.db("SELECT status, last_error FROM generations")

    served = my_generations(rig.sim, rig.key)
    raw = sum(nanos(g["cost"]) for g in served)
    assert len(served) == 2 and raw > 0, served
    # Each (day, model) cell is priced once at the day's rate, half-up to the nano-dollar.
    expected = sum(int((Decimal(nanos(g["cost"])) * Decimal("1.3")).quantize(Decimal(1), ROUND_HALF_UP)) for g in served)
    status = rig.admin_json("/admin/v1/status")
    assert status["markup_rate"] == "1.3", status
    assert nanos(status["today"]["raw_cost"]) == raw and nanos(status["today"]["price"]) == expected, (status, raw, expected)
    summary = rig.app_json("/api/v1/usage/summary")
    assert summary["markup_rate"] == "1.3", summary
    report = rig.app_json("/api/v1/usage/report?group_by=model")
    shown = lambda amount: nanos(amount) // 1000  # noqa: E731 - the dashboard shows micro-dollars
    assert shown(summary["today"]["price"]) == shown(report["totals"]["price"]) == (expected + 500) // 1000, (summary, report, expected)
    assert rig.db("SELECT markup_rate FROM usage_days WHERE day = ?", (served[0]["created_at"][:10],)) == [("1.3",)]
    assert rig.db("SELECT value FROM settings WHERE key = 'MARKUP_RATE'") == [("1.75",)], "the rate the next day starts with"
