"""Bad and hostile input over real HTTP: every answer is a JSON {"detail"} with the right status, never a 500."""
from __future__ import annotations

import json
import random

import pytest
import requests

from conftest import PASSWORD, assert_json_detail, bearer

JSON = {"Content-Type": "application/json"}

# Endpoint name -> (path template, needs the admin's token, a valid-looking body, a required field or None)
ENDPOINTS = {
    "signup": ("/api/v1/auths/signup", False, {"name": "N", "email": "new@example.com", "password": PASSWORD}, "password"),
    "signin": ("/api/v1/auths/signin", False, {"email": "admin@example.com", "password": PASSWORD}, "password"),
    "add": ("/api/v1/auths/add", True, {"name": "N", "email": "added@example.com", "password": PASSWORD}, "email"),
    "users_update": ("/api/v1/users/{id}/update", True, {"name": "Renamed"}, None),
}


def post(agent, admin, endpoint: str, data: bytes, headers: dict | None = None, timeout: float = 30) -> requests.Response:
    path, needs_admin, _, _ = ENDPOINTS[endpoint]
    all_headers = dict(headers if headers is not None else JSON)
    if needs_admin:
        all_headers.update(bearer(admin["token"]))
    return requests.post(agent.url + path.format(id=admin["id"]), data=data, headers=all_headers, timeout=timeout)


def check_error(response: requests.Response, *statuses: int) -> str:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    return assert_json_detail(response)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_malformed_json_is_400(agent, admin, endpoint):
    for body in (b'{"email": ', b"{not json}", b'{"email": "a@b.co" "password": "x"}', b"\xff\xfe{}"):
        check_error(post(agent, admin, endpoint, body), 400)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_array_or_string_instead_of_object(agent, admin, endpoint):
    for body in (b"[1, 2, 3]", b'"just a string"', b"42", b"null"):
        check_error(post(agent, admin, endpoint, body), 400, 422)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_wrong_type_names_the_field(agent, admin, endpoint):
    _, _, valid, _ = ENDPOINTS[endpoint]
    for field, value in (("email", 5), ("email", ["a@b.co"]), ("name" if "name" in valid else "password", {"x": 1})):
        body = {**valid, field: value}
        detail = check_error(post(agent, admin, endpoint, json.dumps(body).encode()), 422)
        assert field in detail, (body, detail)


def test_invalid_enum_value_names_the_field(agent, admin):
    for endpoint in ("add", "users_update"):
        body = {**ENDPOINTS[endpoint][2], "role": "superuser"}
        detail = check_error(post(agent, admin, endpoint, json.dumps(body).encode()), 400, 422)
        assert "role" in detail, detail


@pytest.mark.parametrize("endpoint", [name for name, spec in ENDPOINTS.items() if spec[3]])
def test_missing_field_names_the_field(agent, admin, endpoint):
    _, _, valid, required = ENDPOINTS[endpoint]
    body = {k: v for k, v in valid.items() if k != required}
    detail = check_error(post(agent, admin, endpoint, json.dumps(body).encode()), 422)
    assert required in detail, detail
    detail = check_error(post(agent, admin, endpoint, json.dumps({**valid, required: None}).encode()), 422)
    assert required in detail, detail


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_two_mebibyte_body_is_413(agent, admin, endpoint):
    body = json.dumps({"name": "x" * (2 << 20), "email": "big@example.com", "password": PASSWORD}).encode()
    check_error(post(agent, admin, endpoint, body), 413)
    assert requests.get(agent.url + "/health", timeout=5).status_code == 200


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_text_plain_is_415(agent, admin, endpoint):
    body = json.dumps(ENDPOINTS[endpoint][2]).encode()
    check_error(post(agent, admin, endpoint, body, headers={"Content-Type": "text/plain"}), 415)


def test_unknown_routes_are_404(agent, admin):
    headers = bearer(admin["token"])
    for method, path in (("GET", "/api/v1/nope"), ("POST", "/api/v1/auths/nope"), ("GET", "/no/such/page"),
                         ("POST", f"/api/v1/users/{admin['id']}/nope"), ("GET", "/static/does-not-exist.js")):
        response = requests.request(method, agent.url + path, headers=headers, json={}, timeout=5)
        check_error(response, 404)


# --- Fuzz -------------------------------------------------------------------

def _random_string(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return ""
    if kind == 1:
        return "".join(chr(rng.randrange(32, 127)) for _ in range(rng.randrange(1, 40)))
    if kind == 2:  # unicode, including astral planes and combining marks
        return "".join(chr(rng.choice([rng.randrange(0xA0, 0x2FFF), rng.randrange(0x1F300, 0x1FAFF), 0x0301, 0x200B, 0xFEFF])) for _ in range(rng.randrange(1, 30)))
    if kind == 3:  # huge
        return rng.choice("aé€😀") * rng.choice([1000, 70_000, 300_000])
    if kind == 4:  # control characters and NUL
        return "".join(chr(rng.randrange(0, 32)) for _ in range(rng.randrange(1, 20)))
    if kind == 5:  # e-mail-ish
        return rng.choice(["admin@example.com", "ADMIN@example.com ", "a@b", "@x.y", "a@b.co", "x" * 300 + "@example.com", "a@.com", "fuzz@example.com"])
    return rng.choice(["correct-horse-battery-staple", "12345678", "p" * 73, "pässwörd-ünïcode", "\x00" * 10, "' OR 1=1 --"])


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**31, 2**63, 10**40, -(10**40)])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, 1e-308, 3.14])
    if kind in (4, 5):
        return _random_string(rng)
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    return {_random_string(rng)[:50]: _random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}


def _random_payload(rng: random.Random) -> tuple[bytes, dict]:
    """A body and its headers: mostly JSON-shaped, sometimes broken or hostile."""
    kind = rng.randrange(10)
    headers = dict(JSON)
    if rng.random() < 0.1:
        headers = rng.choice([{}, {"Content-Type": "application/json; charset=utf-8"}, {"Content-Type": "application/vnd.api+json"}])
    if rng.random() < 0.5:  # vary the believed client address so throttling does not hide the password path
        headers["X-Forwarded-For"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if kind == 0:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))), headers
    if kind == 1:  # deep nesting
        depth = rng.choice([50, 600, 5000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        return (opener * depth + "1" + closer * depth).encode(), headers
    if kind == 2:  # truncated JSON or trailing garbage
        text = json.dumps(_random_value(rng))
        return (text[: rng.randrange(len(text) + 1)] + rng.choice(["", "}", "]]", ",", " garbage"])).encode(), headers
    if kind == 3:  # lone surrogates / invalid UTF-8 inside strings
        return rng.choice([b'{"email": "\\ud800", "password": "\\udfff", "name": "x"}',
                           b'{"email": "\xc3\x28@example.com", "password": "12345678"}',
                           b'{"email": "a@b.co", "password": "\xed\xa0\x80xxxxxxx"}']), headers
    if kind == 4:  # any JSON value
        return json.dumps(_random_value(rng)).encode(), headers
    if kind == 5 and rng.random() < 0.7:  # well-formed forms: the right password, or a sign-up while sign-up is closed
        return json.dumps(rng.choice([
            {"email": "admin@example.com", "password": PASSWORD},
            {"email": " Admin@Example.com ", "password": PASSWORD, "name": "extra fields are ignored"},
            {"name": "Fuzzy", "email": f"fuzzy{rng.randrange(10**6)}@example.com", "password": "long-enough-pw"},
        ])).encode(), headers
    # form-shaped objects with random field values (the most common case)
    body = {}
    for field in ("name", "email", "password", "profile_image_url", "role", "extra"):
        if rng.random() < 0.85:
            body[field] = _random_string(rng) if rng.random() < 0.7 else _random_value(rng)
    text = json.dumps(body, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass"), headers


def test_fuzz_signin_and_signup_never_5xx(agent, admin):
    rng = random.Random(20251126)
    outcomes: dict[int, int] = {}
    problems: list[str] = []
    for index in range(200):
        body, headers = _random_payload(rng)
        for path in ("/api/v1/auths/signin", "/api/v1/auths/signup"):
            where = f"payload #{index} ({len(body)} bytes, starts {body[:80]!r}) to {path}"
            try:
                response = requests.post(agent.url + path, data=body, headers=headers, timeout=30)
            except requests.RequestException as error:
                problems.append(f"{where}: no answer ({error})")
                if agent.proc.poll() is not None:
                    pytest.fail("the agent died: " + "; ".join(problems) + "\n" + agent.log()[-2000:])
                continue
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code} {response.text[:200]}")
                continue
            try:
                if response.status_code == 200:
                    assert isinstance(response.json().get("token"), str), response.text[:300]
                else:
                    assert 400 <= response.status_code < 500
                    assert_json_detail(response)
            except (AssertionError, ValueError) as error:
                problems.append(f"{where}: {response.status_code} {error}")
    print("fuzz outcomes:", outcomes)
    assert not problems, f"{len(problems)} bad answers (outcomes {outcomes}):\n" + "\n".join(problems)
    assert {200, 400, 413, 422} <= outcomes.keys(), outcomes  # the fuzz reached success, bad input and too-large paths

    assert agent.proc.poll() is None, agent.log()[-2000:]
    assert requests.get(agent.url + "/health", timeout=5).status_code == 200
    assert requests.get(agent.url + "/health/db", headers=bearer(admin["token"]), timeout=5).status_code == 200
    assert requests.get(agent.url + "/api/v1/auths/", headers=bearer(admin["token"]), timeout=5).status_code == 200


def raw_exchange(agent, request: bytes) -> bytes:
    """Sends raw bytes on a fresh connection and returns everything the agent answers until it closes."""
    import socket
    host, port = agent.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_invalid_http_gets_a_json_400_and_earlier_pipelined_requests_their_answers(agent):
    """A control character in a header used to get Hummingbird's empty 400 (no content type, no
    reason); a body whose chunking breaks halfway got a 500. Both are the client's fault: a JSON 400."""
    answer = raw_exchange(agent, b"GET /api/v1/auths/ HTTP/1.1\r\nHost: x\r\nCookie: token=a\x01b\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"application/json" in head, answer
    assert "not valid HTTP" in json.loads(body)["detail"], answer
    # Two good requests pipelined before a bad one: both answered, in order, then the 400.
    answer = raw_exchange(agent, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/version HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nX: \x01\r\n\r\n")
    statuses = [line for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ") or b"HTTP/1.1 " in line]
    assert len(statuses) == 3 and b"200 OK" in statuses[0] and b"200 OK" in statuses[1] and b"400 Bad Request" in statuses[2], answer
    assert b'"status":true' in answer and b'"version"' in answer, answer
    # A chunked JSON body that stops being HTTP halfway.
    answer = raw_exchange(agent, b"POST /api/v1/auths/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nZZ\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b"not valid HTTP" in answer, answer
    assert requests.get(agent.url + "/health", timeout=5).status_code == 200
