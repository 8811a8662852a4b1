"""Accounts over real HTTP: first sign-up race, cookies, refresh rotation, API keys, metrics, throttling."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import PASSWORD, assert_json_detail, bearer, signin, signup

AUTHS = "/api/v1/auths"


def test_concurrent_first_signups_make_exactly_one_admin(agent):
    config = requests.get(agent.url + "/api/config", timeout=5).json()
    assert config["onboarding"] is True
    assert config["features"]["enable_signup"] is True

    emails = [f"racer{i}@example.com" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda e: signup(agent, e, name=e.split("@")[0]), emails))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [403] * 7, [(r.status_code, r.text) for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.json()["role"] == "admin"
    for response in responses:
        if response.status_code == 403:
            detail = assert_json_detail(response)
            assert "sign-up is closed" in detail.lower(), detail

    config = requests.get(agent.url + "/api/config", timeout=5).json()
    assert config["onboarding"] is False
    assert config["features"]["enable_signup"] is False

    users = requests.get(agent.url + "/api/v1/users/", headers=bearer(winner.json()["token"]), timeout=5).json()
    assert users["total"] == 1
    assert users["users"][0]["email"] == winner.json()["email"]


def _set_cookie_headers(response: requests.Response) -> list[str]:
    return response.raw.headers.getlist("Set-Cookie")


def test_cookie_flow_signin_refresh_signout(agent, admin):
    session = requests.Session()
    response = signin(agent, admin["email"], session=session)
    assert response.status_code == 200, response.text

    cookies = _set_cookie_headers(response)
    for name in ("token", "refresh_token"):
        header = next((c for c in cookies if c.startswith(f"{name}=")), None)
        assert header is not None, cookies
        assert re.search(r";\s*HttpOnly", header, re.I), header
        assert re.search(r";\s*SameSite=Lax", header, re.I), header
    assert session.cookies.get("token") == response.json()["token"]
    assert session.cookies.get("refresh_token") == response.json()["refresh_token"]

    # Only cookies, no Authorization header.
    me = session.get(agent.url + AUTHS + "/", timeout=5)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == admin["email"]

    old_access, old_refresh = session.cookies.get("token"), session.cookies.get("refresh_token")
    rotated = session.post(agent.url + AUTHS + "/refresh", timeout=5)
    assert rotated.status_code == 200, rotated.text
    assert session.cookies.get("refresh_token") not in (None, old_refresh)
    assert session.cookies.get("token") not in (None, old_access)
    assert rotated.json()["refresh_token"] == session.cookies.get("refresh_token")
    assert session.get(agent.url + AUTHS + "/", timeout=5).status_code == 200

    access_before_signout = session.cookies.get("token")
    assert session.get(agent.url + AUTHS + "/signout", timeout=5).status_code in (404, 405), "sign-out is POST only"
    out = session.post(agent.url + AUTHS + "/signout", timeout=5)
    assert out.status_code == 200, out.text
    assert session.cookies.get("token") is None
    assert session.cookies.get("refresh_token") is None
    after = session.get(agent.url + AUTHS + "/", timeout=5)
    assert after.status_code == 401, (after.status_code, after.text[:500])
    assert_json_detail(after)
    # The session is ended on the server too, not only forgotten by the browser.
    assert requests.get(agent.url + AUTHS + "/", headers=bearer(access_before_signout), timeout=5).status_code == 401


def test_refresh_token_reuse_ends_the_family(agent, admin):
    first = signin(agent, admin["email"])
    assert first.status_code == 200, (first.status_code, first.text[:500])
    refresh_token = first.json()["refresh_token"]

    rotation = requests.post(agent.url + AUTHS + "/refresh", json={"refresh_token": refresh_token}, timeout=5)
    assert rotation.status_code == 200, rotation.text
    rotated_access = rotation.json()["token"]
    assert requests.get(agent.url + AUTHS + "/", headers=bearer(rotated_access), timeout=5).status_code == 200

    reuse = requests.post(agent.url + AUTHS + "/refresh", json={"refresh_token": refresh_token}, timeout=5)
    assert reuse.status_code == 401, (reuse.status_code, reuse.text[:500])
    assert_json_detail(reuse)

    assert requests.get(agent.url + AUTHS + "/", headers=bearer(rotated_access), timeout=5).status_code == 401
    again = requests.post(agent.url + AUTHS + "/refresh", json={"refresh_token": rotation.json()["refresh_token"]}, timeout=5)
    assert again.status_code == 401, (again.status_code, again.text[:500])
    # Other sign-ins of the same account are a different family and keep working.
    assert requests.get(agent.url + AUTHS + "/", headers=bearer(admin["token"]), timeout=5).status_code == 200


def test_api_key_lifecycle(agent, admin):
    headers = bearer(admin["token"])
    assert requests.get(agent.url + AUTHS + "/api_key", headers=headers, timeout=5).status_code == 404

    created = requests.post(agent.url + AUTHS + "/api_key", headers=headers, timeout=5)
    assert created.status_code == 200, created.text
    key = created.json()["api_key"]
    assert isinstance(key, str) and key.startswith("sk-") and len(key) > 20

    me = requests.get(agent.url + AUTHS + "/", headers=bearer(key), timeout=5)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == admin["email"]

    shown = requests.get(agent.url + AUTHS + "/api_key", headers=headers, timeout=5)
    assert shown.status_code == 200, (shown.status_code, shown.text[:500])
    # Absent or null: either way the secret is shown only once, at creation.
    assert shown.json().get("api_key") is None, shown.json()
    assert key not in shown.text
    assert key.startswith(shown.json()["prefix"])

    assert requests.delete(agent.url + AUTHS + "/api_key", headers=headers, timeout=5).status_code == 200
    refused = requests.get(agent.url + AUTHS + "/", headers=bearer(key), timeout=5)
    assert refused.status_code == 401, (refused.status_code, refused.text[:500])
    assert_json_detail(refused)


def test_metrics_for_admin_only(agent, admin):
    for _ in range(3):
        assert requests.get(agent.url + "/health", timeout=5).status_code == 200
    requests.get(agent.url + "/api/config", timeout=5)

    metrics = requests.get(agent.url + "/metrics", headers=bearer(admin["token"]), timeout=5)
    assert metrics.status_code == 200, metrics.text
    assert metrics.headers["Content-Type"].startswith("text/plain")
    text = metrics.text
    health = [line for line in text.splitlines() if line.startswith("mai_http_requests_total{") and 'route="/health"' in line]
    assert health, text
    assert any('status="200"' in line and 'method="GET"' in line and float(line.rsplit(" ", 1)[1]) >= 3 for line in health), health
    assert re.search(r'^mai_http_request_duration_seconds_bucket\{.*le="[^"]+".*\} \d+', text, re.M), text

    user = {"name": "Plain", "email": "plain@example.com", "password": PASSWORD, "role": "user"}
    added = requests.post(agent.url + AUTHS + "/add", headers=bearer(admin["token"]), json=user, timeout=30)
    assert added.status_code == 200, added.text
    plain = signin(agent, "plain@example.com")
    assert plain.status_code == 200, plain.text
    assert plain.json()["role"] == "user"
    forbidden = requests.get(agent.url + "/metrics", headers=bearer(plain.json()["token"]), timeout=5)
    assert forbidden.status_code == 403, (forbidden.status_code, forbidden.text[:500])
    assert_json_detail(forbidden)
    assert requests.get(agent.url + "/metrics", timeout=5).status_code == 401


def test_wrong_passwords_are_throttled(agent, admin):
    statuses = []
    locked = None
    for _ in range(7):
        response = signin(agent, admin["email"], password="not-the-password")
        statuses.append(response.status_code)
        if response.status_code == 429:
            locked = response
            break
        assert response.status_code == 400, response.text
    assert locked is not None, statuses
    assert len(statuses) in (6, 7), statuses
    retry_after = locked.headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) > 0, locked.headers
    assert_json_detail(locked)

    right = signin(agent, admin["email"], password=admin["password"])
    assert right.status_code == 429, right.text
    assert int(right.headers["Retry-After"]) > 0
    assert_json_detail(right)
