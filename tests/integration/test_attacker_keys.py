"""A client admin (not the operator) against the real `mai-agent` binary, trying to get the
operator's OpenRouter key out of it or to use it to reach the host's network (issue 15, row 3):

- moving the environment's OpenRouter connection to the attacker's server without a key of their
  own is refused, and the attacker's server never sees the operator's key — not even after the
  fleet key swap (`PUT /admin/v1/openrouter-key`, what `maictl keys rotate` sends);
- an embedding address the admin sets gets no key;
- loopback, private and metadata addresses are refused unless ALLOW_PRIVATE_PROVIDER_URLS says so;
- an internal service's error page is never shown back.
"""
from __future__ import annotations

import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import bearer, free_port, signup, start_agent

OPERATOR_KEY = "sk-or-v1-integration-operator-key"


class Attacker:
    """An HTTP server on loopback that records every request (path, Authorization) and answers
    with an internal-looking 500 page, or a 200 JSON body for `/key`."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        attacker = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                attacker.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                if self.path.endswith("/key"):
                    body, status, kind = b'{"data":{"label":"stolen"}}', 200, "application/json"
                elif self.path.endswith("/embeddings"):
                    body, status, kind = b'{"data":[{"embedding":[0.5,0.5],"index":0}]}', 200, "application/json"
                else:
                    body, status, kind = b"<html>secret internal page: hunter2</html>", 500, "text/html"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def saw_secret(self, secret: str) -> bool:
        return any(secret in auth for _, _, auth in self.seen)

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def attacker():
    server = Attacker()
    yield server
    server.close()


def start(tmp_path, simulator, extra: dict | None = None):
    token = secrets.token_hex(24)
    admin_port = free_port()
    env = {"OPENROUTER_API_KEY": OPERATOR_KEY, "OPENROUTER_BASE_URL": simulator.base_url,
           "MAI_FLEET_TOKEN": token, "ADMIN_BIND": f"127.0.0.1:{admin_port}", **(extra or {})}
    agent = start_agent(tmp_path / "data", env)
    response = signup(agent, "admin@example.com", name="Client Admin")
    assert response.status_code == 200, response.text
    return agent, response.json()["token"], f"http://127.0.0.1:{admin_port}", token


def test_client_admin_cannot_redirect_the_operators_key(tmp_path, simulator, attacker):
    # The attacker's server is on loopback and allowed: only the key rule protects the key.
    agent, admin, admin_api, fleet_token = start(tmp_path, simulator, {"ALLOW_PRIVATE_PROVIDER_URLS": "127.0.0.1"})
    try:
        for form in ({"base_url": attacker.url + "/api/v1"},
                     {"base_url": attacker.url + "/api/v1", "enabled": False},
                     {"base_url": attacker.url + "/api/v1", "api_key": ""}):
            moved = requests.post(agent.url + "/api/v1/connections/openrouter", json=form, headers=bearer(admin), timeout=30)
            assert moved.status_code == 400, (form, moved.status_code, moved.text)
            assert "api_key" in moved.json()["detail"], moved.text
        listed = requests.get(agent.url + "/api/v1/connections/", headers=bearer(admin), timeout=30).json()["connections"]
        assert [c["base_url"] for c in listed if c["id"] == "openrouter"] == [simulator.base_url], listed

        # maictl keys rotate: the new key is checked and used at the operator's address only.
        rotated = "sk-or-v1-integration-rotated-" + secrets.token_hex(4)
        swapped = requests.put(admin_api + "/admin/v1/openrouter-key", json={"key": rotated}, headers=bearer(fleet_token), timeout=30)
        assert swapped.status_code == 200, swapped.text

        # The embedding address an admin sets gets no key.
        changed = requests.post(agent.url + "/api/v1/retrieval/config/update", headers=bearer(admin), timeout=30,
                                json={"RAG_EMBEDDING_BASE_URL": attacker.url + "/v1", "RAG_EMBEDDING_MODEL": "openai/text-embedding-3-small"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["embedding_key_set"] is False, changed.text

        assert not attacker.saw_secret(OPERATOR_KEY), attacker.seen
        assert not attacker.saw_secret(rotated), attacker.seen
        assert OPERATOR_KEY not in agent.log() and rotated not in agent.log()
    finally:
        agent.stop()


def test_host_network_is_out_of_reach_and_error_pages_stay_inside(tmp_path, simulator, attacker):
    agent, admin, _, _ = start(tmp_path, simulator)
    try:
        port = attacker.url.rsplit(":", 1)[1]
        for url in (attacker.url + "/v1", f"http://localhost:{port}/v1", "http://169.254.169.254/latest/meta-data",
                    "http://10.0.0.1/v1", f"http://[::1]:{port}/v1"):
            added = requests.post(agent.url + "/api/v1/connections/new", json={"kind": "custom", "base_url": url},
                                  headers=bearer(admin), timeout=30)
            assert added.status_code == 400, (url, added.text)
            assert "ALLOW_PRIVATE_PROVIDER_URLS" in added.json()["detail"], (url, added.text)
            embedding = requests.post(agent.url + "/api/v1/retrieval/config/update", json={"RAG_EMBEDDING_BASE_URL": url},
                                      headers=bearer(admin), timeout=30)
            assert embedding.status_code == 400, (url, embedding.text)
        assert attacker.seen == [], attacker.seen
    finally:
        agent.stop()

    # Allowed by the operator, the address is called, but its error page is not read back.
    (tmp_path / "allowed").mkdir()
    allowed, admin, _, _ = start(tmp_path / "allowed", simulator, {"ALLOW_PRIVATE_PROVIDER_URLS": "127.0.0.0/8"})
    try:
        added = requests.post(allowed.url + "/api/v1/connections/new", json={"kind": "custom", "base_url": attacker.url + "/v1"},
                              headers=bearer(admin), timeout=30)
        assert added.status_code == 400, added.text
        assert "500" in added.json()["detail"], added.text
        assert "secret internal page" not in added.text and "hunter2" not in added.text and "<html" not in added.text, added.text
        assert attacker.seen, "the allowed address was never called"
    finally:
        allowed.stop()
