"""The operator's command line: `user create`, `user reset-password`, `version`, against real data directories."""
from __future__ import annotations

from pathlib import Path

import requests

from conftest import assert_json_detail, bearer, run_cli, signin, start_agent

AUTHS = "/api/v1/auths"


def test_user_create_admin_then_sign_in(tmp_path: Path):
    data = tmp_path / "data"
    created = run_cli(["user", "create", "--email", "Boss@Example.com", "--name", "The Boss", "--admin", "--password-stdin"],
                      data, stdin="boss-password-123\n")
    assert created.returncode == 0, (created.stdout, created.stderr)
    assert "boss@example.com" in created.stdout
    assert "admin" in created.stdout

    agent = start_agent(data)
    try:
        config = requests.get(agent.url + "/api/config", timeout=5).json()
        assert config["onboarding"] is False
        response = signin(agent, "boss@example.com", password="boss-password-123")
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "admin"
        assert response.json()["name"] == "The Boss"
        wrong = signin(agent, "boss@example.com", password="boss-password-12")
        assert wrong.status_code == 400, (wrong.status_code, wrong.text[:500])
    finally:
        assert agent.stop() == 0, agent.log()[-3000:]


def test_reset_password_ends_sessions_while_agent_runs(tmp_path: Path):
    data = tmp_path / "data"
    created = run_cli(["user", "create", "--email", "ann@example.com", "--name", "Ann", "--password-stdin"], data, stdin="old-password-1\n")
    assert created.returncode == 0, created.stderr

    agent = start_agent(data)
    try:
        session = signin(agent, "ann@example.com", password="old-password-1")
        assert session.status_code == 200, session.text
        token = session.json()["token"]
        refresh_token = session.json()["refresh_token"]
        assert requests.get(agent.url + AUTHS + "/", headers=bearer(token), timeout=5).status_code == 200

        reset = run_cli(["user", "reset-password", "--email", "ann@example.com", "--password-stdin"], data, stdin="new-password-2\n")
        assert reset.returncode == 0, (reset.stdout, reset.stderr)
        assert "ann@example.com" in reset.stdout

        old = requests.get(agent.url + AUTHS + "/", headers=bearer(token), timeout=5)
        assert old.status_code == 401, (old.status_code, old.text[:500])
        assert_json_detail(old)
        refreshed = requests.post(agent.url + AUTHS + "/refresh", json={"refresh_token": refresh_token}, timeout=5)
        assert refreshed.status_code == 401, (refreshed.status_code, refreshed.text[:500])

        new = signin(agent, "ann@example.com", password="new-password-2")
        assert new.status_code == 200, new.text
        assert requests.get(agent.url + AUTHS + "/", headers=bearer(new.json()["token"]), timeout=5).status_code == 200
        stale = signin(agent, "ann@example.com", password="old-password-1")
        assert stale.status_code == 400, (stale.status_code, stale.text[:500])
        assert_json_detail(stale)
    finally:
        assert agent.stop() == 0, agent.log()[-3000:]


def test_too_short_password_is_refused(tmp_path: Path):
    data = tmp_path / "data"
    result = run_cli(["user", "create", "--email", "short@example.com", "--name", "Short", "--password-stdin"], data, stdin="abc\n")
    assert result.returncode != 0
    assert "at least 8 characters" in result.stdout + result.stderr, (result.stdout, result.stderr)
    # Nothing was created: the e-mail is still free.
    again = run_cli(["user", "create", "--email", "short@example.com", "--name", "Short", "--password-stdin"], data, stdin="long-enough-1\n")
    assert again.returncode == 0, again.stderr


def test_reset_password_of_unknown_email(tmp_path: Path):
    data = tmp_path / "data"
    result = run_cli(["user", "reset-password", "--email", "ghost@example.com", "--password-stdin"], data, stdin="whatever-123\n")
    assert result.returncode != 0
    assert "ghost@example.com" in result.stdout + result.stderr, (result.stdout, result.stderr)


def test_version_matches_the_api(agent):
    api = requests.get(agent.url + "/api/version", timeout=5)
    assert api.status_code == 200, (api.status_code, api.text[:500])
    version = api.json()["version"]
    assert version

    for args in (["version"], ["--version"]):
        result = run_cli(args, agent.data_dir)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.strip() == version, (args, result.stdout)
