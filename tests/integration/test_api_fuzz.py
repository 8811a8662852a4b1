"""Property-based fuzzing of the JSON API from the agent's own `/openapi.json` (schemathesis), as a
signed-in administrator of an agent chatting with the OpenRouter simulator: whatever the generated
request, the agent answers without a 5xx, with a status, content type, headers and body its schema
documents (a malformed header included: the HTTP layer's 400 is JSON too), and keeps serving.

The seed is fixed, so a failure is reproducible: the output names each failing case with the `curl`
line that repeats it. Sign-out and the password change are left out only because they end the
session the fuzzer signs its requests with.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from conftest import bearer, signup

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
          "response_headers_conformance"]


def test_no_generated_request_gets_a_server_error(chat_agent, tmp_path):
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: `make test` installs tests/requirements.txt"
    response = signup(chat_agent, "fuzz-admin@example.com", name="Fuzz Admin")
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    command = [str(SCHEMATHESIS), "run", chat_agent.url + "/openapi.json", "--experimental=openapi-3.1",
               "-H", f"Authorization: Bearer {token}", "--checks", ",".join(CHECKS),
               "--hypothesis-max-examples", "10", "--hypothesis-deadline", "None", "--hypothesis-seed", "20261203",
               "--workers", "1", "--exclude-path-regex", "signout|update/password", "--no-color"]
    env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
    # In tmp_path: hypothesis keeps its example database in the working directory (.hypothesis).
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    for check in CHECKS:
        lines = [line for line in output.splitlines() if line.strip().startswith(check)]
        assert lines and "PASSED" in lines[-1], (check, output[-6000:])
    summary = [line for line in output.splitlines() if line.strip().startswith("not_a_server_error")]
    # The operations it reached: the schema's, with real answers (a fuzzer that only met 401s or
    # 404s of a wrong base URL would prove nothing).
    checked = int(summary[-1].split("/")[1].split()[0])
    assert checked > 500, output[-3000:]
    # Still serving, the fuzzer's session included.
    assert requests.get(chat_agent.url + "/health", timeout=5).status_code == 200
    me = requests.get(chat_agent.url + "/api/v1/auths/", headers=bearer(token), timeout=5)
    assert me.status_code == 200, me.text
