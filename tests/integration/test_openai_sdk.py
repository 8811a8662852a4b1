"""The official `openai` Python SDK, as a customer's script would use it, against the agent's /v1."""
from __future__ import annotations

import openai
import pytest
import requests

from conftest import bearer, signup


def employee_api_key(agent) -> str:
    """Admin signs up, adds an employee; the employee signs in and creates an API key."""
    admin = signup(agent, "admin@example.com").json()["token"]
    added = requests.post(agent.url + "/api/v1/auths/add", headers=bearer(admin), timeout=10,
                          json={"name": "Emma", "email": "emma@example.com", "password": "emma password 1", "role": "user"})
    assert added.status_code == 200, added.text
    token = requests.post(agent.url + "/api/v1/auths/signin", timeout=10,
                          json={"email": "emma@example.com", "password": "emma password 1"}).json()["token"]
    key = requests.post(agent.url + "/api/v1/auths/api_key", headers=bearer(token), timeout=10).json()["api_key"]
    assert key.startswith("sk-")
    return key


def test_sdk_lists_models_and_completes(chat_agent, simulator):
    client = openai.OpenAI(api_key=employee_api_key(chat_agent), base_url=chat_agent.url + "/v1", max_retries=0)

    models = [m.id for m in client.models.list()]
    assert "openai/gpt-4o-mini" in models

    completion = client.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say something about tea"}],
    )
    text = completion.choices[0].message.content
    assert text and completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens > 0
    served = simulator.generations()["data"]
    mine = next(g for g in served if g["id"] == completion.id)
    assert mine["text"] == text
    assert mine["user"].endswith(tuple("0123456789abcdef")) and "_user_" in mine["user"]

    pieces = []
    stream = client.chat.completions.create(
        model="openai/gpt-4o-mini", stream=True,
        messages=[{"role": "user", "content": "Now stream it [[sim:tokens=25]]"}],
    )
    finish = None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert len(pieces) >= 10, pieces  # arrived as many chunks, not one buffered blob
    assert finish == "stop"
    assert len("".join(pieces)) > 20


def test_sdk_sees_clear_errors(chat_agent):
    client = openai.OpenAI(api_key=employee_api_key(chat_agent), base_url=chat_agent.url + "/v1", max_retries=0)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="no/such-model", messages=[{"role": "user", "content": "hi"}])
    assert "no/such-model" in str(missing.value)
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi [[sim:error=429]]"}])
    assert "rate" in str(limited.value).lower()
    # An error after the stream began reaches the SDK as an exception, after the text so far.
    received = []
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(model="openai/gpt-4o-mini", stream=True,
                                                    messages=[{"role": "user", "content": "go [[sim:midstream_error]]"}]):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received
    bad = openai.OpenAI(api_key="sk-not-a-real-key", base_url=chat_agent.url + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
