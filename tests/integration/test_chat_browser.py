"""The chat UI in a real browser (headless Chromium via Selenium) against a real agent whose
OpenRouter connection is the local simulator (`chat_agent`).

Covers streaming, history, search, regenerate/edit branches, i18n, safe markdown (no HTML from the
model or titles ever runs), stop, errors, the admin connections and models pages, and a phone-sized
window. Screenshots go to tests/integration/artifacts/.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import requests

try:
    from selenium import webdriver
    from selenium.common.exceptions import (ElementNotInteractableException, NoSuchElementException,
                                            StaleElementReferenceException, WebDriverException)
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - reported by the fixture below
    webdriver = None

from chromium import browser_fixture, wait_text

WAIT = 15
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
LOCALES = HERE.parents[1] / "Sources" / "MaiAgent" / "Web" / "Static" / "locales"


browser = browser_fixture(height=900)


def screenshot(driver, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


# MARK: - Helpers


def wait(driver, timeout=WAIT, poll=0.1):
    return WebDriverWait(driver, timeout, poll_frequency=poll, ignored_exceptions=(StaleElementReferenceException,))


def visible(driver, css):
    return wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def click(driver, css):
    """Clicks the element `css` names once it can be clicked, looking it up afresh if the list it is
    in was drawn again meanwhile."""
    def clicked(d):
        element = d.find_element(By.CSS_SELECTOR, css)
        if not element.is_displayed():
            return False
        element.click()
        return True
    WebDriverWait(driver, WAIT, poll_frequency=0.1,
                  ignored_exceptions=(StaleElementReferenceException, NoSuchElementException, ElementNotInteractableException)).until(clicked)


def sign_in(driver, agent, user):
    driver.get(agent.url + "/")
    field = visible(driver, "#signin-email")
    field.send_keys(user["email"])
    driver.find_element(By.ID, "signin-password").send_keys(user["password"])
    click(driver, "#signin-form [type=submit]")
    # textContent: on a phone the name is not shown in the header.
    wait(driver).until(lambda d: d.execute_script("return document.getElementById('user-name').textContent") == user["name"])
    wait_for_models(driver)


def wait_for_models(driver):
    visible(driver, "#composer-input")
    wait(driver).until(lambda d: d.execute_script("return document.querySelectorAll('#model-select option').length") > 0)


LAST_ANSWER_JS = """
const answers = document.querySelectorAll('#messages .message.assistant');
const a = answers[answers.length - 1];
if (!a) return null;
const body = a.querySelector('.message-body');
const status = a.querySelector('.message-status');
return {id: a.dataset.id, status: a.dataset.status, text: body ? body.innerText : '',
        statusText: status ? status.innerText : '', busy: document.getElementById('composer').getAttribute('aria-busy')};
"""


def last_answer(driver):
    return driver.execute_script(LAST_ANSWER_JS)


def type_message(driver, text):
    """Types `text` into the composer and presses Enter (the text must have no newline)."""
    box = visible(driver, "#composer-input")
    wait(driver).until(lambda d: box.is_enabled())
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def paste_message(driver, text):
    """Puts `text` (may span lines) into the composer as a paste would, then clicks Send."""
    box = visible(driver, "#composer-input")
    wait(driver).until(lambda d: box.is_enabled())
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, text)
    click(driver, "#send-button")


def wait_answer_done(driver, timeout=WAIT, not_id=None):
    """Waits until the last answer (other than `not_id`) is no longer streaming and the chat came
    back from the server."""
    def done(d):
        answer = last_answer(d)
        if not answer or answer["id"] == not_id or answer["status"] == "streaming" or answer["busy"] == "true":
            return False
        return answer
    return wait(driver, timeout).until(done)


def assistant_article(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#messages .message.assistant")[-1]


def current_chat_id(driver):
    match = re.search(r"#/c/([^/]+)$", driver.current_url)
    assert match, driver.current_url
    return match.group(1)


def no_script_errors(driver):
    entries = driver.get_log("browser")
    bad = [e["message"] for e in entries
           if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"] or "Uncaught" in e["message"]]
    assert not bad, bad


def api_session(agent, user):
    session = requests.Session()
    response = session.post(agent.url + "/api/v1/auths/signin", json={"email": user["email"], "password": user["password"]}, timeout=30)
    assert response.status_code == 200, response.text
    return session


# MARK: - Tests


def test_locale_files_have_the_same_keys_and_placeholders():
    locales = {path.stem: json.loads(path.read_text()) for path in LOCALES.glob("*.json")}
    assert {"en", "de", "pl"} <= set(locales), sorted(locales)
    english = locales["en"]
    for lang, strings in locales.items():
        assert set(strings) == set(english), (lang, sorted(set(strings) ^ set(english)))
        for key, text in strings.items():
            assert isinstance(text, str) and text.strip(), (lang, key)
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", english[key])), (lang, key)
    # Real translations, not copies of the English file.
    for lang in ("de", "pl"):
        same = [k for k in english if locales[lang][k] == english[k]]
        assert len(same) < len(english) * 0.2, (lang, same)


def test_employee_chats_streams_searches_branches_and_switches_language(chat_agent, browser):
    admin_user = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct-horse-1"}
    employee = {"name": "Emil Employee", "email": "emil@example.com", "password": "battery-staple-2"}

    # The first sign-up becomes the administrator, who adds an employee.
    admin = browser()
    admin.get(chat_agent.url + "/")
    visible(admin, "#signup-form")
    for field, value in (("signup-name", admin_user["name"]), ("signup-email", admin_user["email"]), ("signup-password", admin_user["password"])):
        visible(admin, f"#{field}").send_keys(value)
    admin.find_element(By.CSS_SELECTOR, "#signup-form [type=submit]").click()
    wait_text(admin, "#user-role", "Administrator")
    visible(admin, "#nav-admin").click()
    for field, value in (("add-user-name", employee["name"]), ("add-user-email", employee["email"]), ("add-user-password", employee["password"])):
        visible(admin, f"#{field}").send_keys(value)
    Select(admin.find_element(By.ID, "add-user-role")).select_by_value("user")
    admin.find_element(By.CSS_SELECTOR, "#add-user-form [type=submit]").click()
    wait(admin).until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#users-table tr[data-email="{employee["email"]}"]')))
    screenshot(admin, "admin-users.png")

    # The employee, in a browser of their own, sees the answer grow token by token.
    driver = browser()
    sign_in(driver, chat_agent, employee)
    assert not driver.find_element(By.ID, "nav-admin").is_displayed()
    type_message(driver, "Tell me about rainbows [[sim:tps=15]] [[sim:tokens=30]]")
    visible(driver, "#stop-button")  # while the answer streams, Send becomes Stop
    states: list[str] = []

    def record(d):
        answer = last_answer(d)
        if not answer:
            return False
        if answer["status"] == "streaming":
            if answer["text"] and (not states or states[-1] != answer["text"]):
                states.append(answer["text"])
            return False
        return answer if answer["busy"] != "true" else False

    final = wait(driver, 20, poll=0.03).until(record)
    assert final["status"] == "complete", final
    first_answer = final["text"]
    assert first_answer.startswith("Tell me about rainbows"), first_answer
    intermediate = [s for s in states if len(s) < len(first_answer)]
    assert len(intermediate) >= 2, states
    lengths = [len(s) for s in intermediate]
    assert lengths == sorted(set(lengths)), lengths  # strictly increasing
    assert all(first_answer.startswith(s.rstrip("▍").strip()) for s in intermediate), (intermediate, first_answer)
    chat_id = current_chat_id(driver)
    assert driver.find_element(By.ID, "composer-input").is_enabled()

    # After a reload the chat is in the sidebar (today) and opens with its messages.
    driver.refresh()
    # (The list may be drawn twice while the page loads: look the item up afresh each time.)
    wait_text(driver, f'#chat-list .chat-group[data-group="today"] .chat-item[data-id="{chat_id}"]', "rainbows")
    wait(driver).until(lambda d: (last_answer(d) or {}).get("text") == first_answer)

    # Server search, debounced.
    click(driver, "#new-chat")
    search = visible(driver, "#chat-search")
    search.send_keys("rainbows")
    click(driver, f'#chat-list .chat-group[data-group="search"] .chat-item[data-id="{chat_id}"] .chat-link')
    wait(driver).until(lambda d: (last_answer(d) or {}).get("text") == first_answer)
    search.send_keys(Keys.ESCAPE)
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '#chat-list .chat-group[data-group="search"]'))

    # Regenerate: a second answer next to the first, and the switcher goes back and forth.
    first_id = last_answer(driver)["id"]
    click(driver, "#messages .message.assistant .regenerate")
    second = wait_answer_done(driver, not_id=first_id)
    assert second["id"] != first_id and second["status"] == "complete", second
    wait_text(driver, "#messages .message.assistant .branch-count", "2/2")
    click(driver, "#messages .message.assistant .branch-prev")
    wait_text(driver, "#messages .message.assistant .branch-count", "1/2")
    wait(driver).until(lambda d: last_answer(d)["id"] == first_id)
    assert last_answer(driver)["text"] == first_answer
    click(driver, "#messages .message.assistant .branch-next")
    wait_text(driver, "#messages .message.assistant .branch-count", "2/2")
    wait(driver).until(lambda d: last_answer(d)["id"] == second["id"])
    # The branch choice is stored: a reload shows the same one.
    driver.refresh()
    wait_text(driver, "#messages .message.assistant .branch-count", "2/2")

    # Edit the question and resend: a new branch with its own answer; the switcher swaps the text.
    click(driver, "#messages .message.user .edit-message")
    editor = visible(driver, "#messages .message.user .edit-input")
    editor.clear()
    editor.send_keys("Tell me about sunsets [[sim:tokens=12]]")
    click(driver, "#messages .message.user .edit-save")
    edited = wait_answer_done(driver)
    assert edited["text"].startswith("Tell me about sunsets"), edited
    wait_text(driver, "#messages .message.user .branch-count", "2/2")
    assert "sunsets" in driver.find_element(By.CSS_SELECTOR, "#messages .message.user .message-body").text
    click(driver, "#messages .message.user .branch-prev")
    wait_text(driver, "#messages .message.user .branch-count", "1/2")
    wait_text(driver, "#messages .message.user .message-body", "rainbows")
    wait(driver).until(lambda d: last_answer(d)["text"].startswith("Tell me about rainbows"))
    click(driver, "#messages .message.user .branch-next")
    wait_text(driver, "#messages .message.user .message-body", "sunsets")
    screenshot(driver, "chat.png")

    # Settings: German, and it survives a reload.
    de = json.loads((LOCALES / "de.json").read_text())
    click(driver, "#open-settings")
    dialog = visible(driver, "#settings-dialog")
    Select(visible(driver, "#settings-language")).select_by_value("de")
    wait_text(driver, "#settings-title", de["settings_dialog.title"])
    screenshot(driver, "settings.png")
    dialog.find_element(By.ID, "settings-close").click()
    wait(driver).until(EC.invisibility_of_element_located((By.ID, "settings-dialog")))
    assert driver.find_element(By.ID, "send-button").text == de["chat.send"] == "Senden"
    assert driver.find_element(By.CSS_SELECTOR, "#new-chat").text.endswith(de["sidebar.new_chat"])
    assert driver.find_element(By.ID, "open-settings").text == de["nav.settings"] == "Einstellungen"
    assert driver.find_element(By.CSS_SELECTOR, "#messages .message.assistant .regenerate").text == de["chat.regenerate"]
    assert driver.execute_script("return document.documentElement.lang") == "de"
    driver.refresh()
    wait_text(driver, "#signout", de["signout"])
    # The chat page is drawn after the session bar: wait for it too (a hidden element reads "").
    assert wait_text(driver, "#send-button", "Senden") == "Senden"
    assert driver.find_element(By.ID, "composer-input").get_attribute("placeholder") == de["chat.placeholder"]
    assert driver.execute_script("return document.documentElement.lang") == "de"
    assert driver.execute_script("return document.documentElement.dir") == "ltr"
    no_script_errors(driver)


def test_model_html_and_titles_are_text_and_markdown_is_safe(chat_agent, chat_users, browser):
    driver = browser()
    sign_in(driver, chat_agent, chat_users["employee"])
    paste_message(driver, '[[sim:reply=<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> **bold**]]')
    answer = wait_answer_done(driver)
    assert "<img src=x" in answer["text"] and "<script>" in answer["text"], answer
    article = assistant_article(driver)
    assert not article.find_elements(By.TAG_NAME, "img")
    assert not article.find_elements(By.TAG_NAME, "script")
    assert article.find_element(By.CSS_SELECTOR, ".message-body strong").text == "bold"
    assert not driver.find_elements(By.CSS_SELECTOR, "#messages img")
    assert driver.execute_script("return typeof window.__xss") == "undefined"

    # A title with markup, set by renaming, is shown as text.
    chat_id = current_chat_id(driver)
    item_css = f'#chat-list .chat-item[data-id="{chat_id}"]'
    click(driver, f"{item_css} .chat-menu-button")
    click(driver, f"{item_css} .chat-rename")
    field = visible(driver, f"{item_css} .chat-rename-input")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("<b>x</b>", Keys.ENTER)
    wait_text(driver, f"{item_css} .chat-link", "<b>x</b>")
    wait_text(driver, "#chat-title", "<b>x</b>")
    assert not driver.find_elements(By.CSS_SELECTOR, "#chat-list b, #chat-title b")
    driver.refresh()
    wait_text(driver, f"{item_css} .chat-link", "<b>x</b>")
    assert not driver.find_elements(By.CSS_SELECTOR, "#chat-list b")

    # Markdown: code with language label and Copy, a table, and no javascript: link.
    click(driver, "#new-chat")
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#messages .message"))
    reply = ("Here:\n\n```python\nprint('hi')\n```\n\n| Name | Count |\n|---|---:|\n| apples | 3 |\n\n"
             "- one\n- two\n\n> quoted\n\n[click me](javascript:window.__xss=3) and [safe](https://example.com/a)")
    paste_message(driver, f"[[sim:reply={reply}]]")
    wait_answer_done(driver)
    article = assistant_article(driver)
    assert article.find_element(By.CSS_SELECTOR, ".code-lang").text == "python"
    copy = article.find_element(By.CSS_SELECTOR, ".code-block .copy-code")
    assert copy.is_displayed() and copy.text == "Copy"
    assert article.find_element(By.CSS_SELECTOR, ".code-block pre code").text == "print('hi')"
    table = article.find_element(By.CSS_SELECTOR, ".message-body table")
    assert [th.text for th in table.find_elements(By.TAG_NAME, "th")] == ["Name", "Count"]
    assert [td.text for td in table.find_elements(By.TAG_NAME, "td")] == ["apples", "3"]
    assert len(article.find_elements(By.CSS_SELECTOR, ".message-body ul li")) == 2
    assert article.find_element(By.CSS_SELECTOR, ".message-body blockquote").text == "quoted"
    links = article.find_elements(By.CSS_SELECTOR, ".message-body a")
    assert [a.get_attribute("href") for a in links] == ["https://example.com/a"]
    assert links[0].get_attribute("target") == "_blank" and links[0].get_attribute("rel") == "noopener noreferrer"
    blocked = article.find_element(By.CSS_SELECTOR, ".link-blocked")
    assert blocked.text == "click me" and blocked.tag_name == "span"
    blocked.click()
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    no_script_errors(driver)


def test_stop_keeps_the_partial_answer_marked_interrupted(chat_agent, chat_users, browser):
    driver = browser()
    sign_in(driver, chat_agent, chat_users["employee"])
    type_message(driver, "Count slowly [[sim:tps=5]] [[sim:tokens=80]]")
    wait(driver).until(lambda d: len((last_answer(d) or {}).get("text") or "") >= 8)
    click(driver, "#stop-button")
    stopped = wait_answer_done(driver)
    assert stopped["status"] == "interrupted", stopped
    assert stopped["text"].startswith("Count slowly"), stopped
    partial = stopped["text"]
    status = visible(driver, "#messages .message.assistant .message-status.interrupted")
    assert "Interrupted" in status.text
    assert visible(driver, "#send-button").is_displayed() and driver.find_element(By.ID, "composer-input").is_enabled()

    driver.refresh()
    wait(driver).until(lambda d: (last_answer(d) or {}).get("status") == "interrupted")
    after = last_answer(driver)
    assert after["text"].startswith(partial[: max(1, len(partial) - 2)].rstrip()), (partial, after)
    assert len(after["text"]) < 200
    visible(driver, "#messages .message.assistant .message-status.interrupted")


def test_errors_show_the_servers_detail_and_keep_partial_text(chat_agent, chat_users, browser):
    employee = chat_users["employee"]
    session = api_session(chat_agent, employee)
    model = session.get(chat_agent.url + "/api/models", timeout=10).json()["default_model"]
    refused = session.post(chat_agent.url + "/api/chat/completions", timeout=30,
                           json={"model": model, "stream": True, "messages": [{"role": "user", "content": "hello [[sim:error=429]]"}]})
    assert refused.status_code == 429, refused.text
    detail = refused.json()["detail"]

    # The same midstream failure over the API gives the error message the UI must show.
    streamed = session.post(chat_agent.url + "/api/chat/completions", timeout=30, stream=True,
                            json={"model": model, "stream": True, "messages": [{"role": "user", "content": "hello [[sim:midstream_error]]"}]})
    error_message = None
    for line in streamed.iter_lines(decode_unicode=True):
        if line and line.startswith("data: ") and line != "data: [DONE]":
            event = json.loads(line[6:])
            if event.get("error"):
                error_message = event["error"]["message"]
    assert error_message, "the simulator's midstream error did not reach the API"

    driver = browser()
    sign_in(driver, chat_agent, employee)
    type_message(driver, "hello [[sim:error=429]]")
    assert wait_text(driver, "#alert-text", detail) == detail
    failed = wait_answer_done(driver)
    assert failed["status"] == "error", failed
    assert detail in failed["statusText"]
    assert driver.find_element(By.ID, "alert").get_attribute("role") == "alert"

    type_message(driver, "hello [[sim:midstream_error]]")
    broken = wait_answer_done(driver, not_id=failed["id"])
    assert broken["text"].strip(), broken
    assert error_message in broken["statusText"], (error_message, broken)
    assert broken["status"] in ("interrupted", "error"), broken
    # The failed answer stays after a reload, with its partial text.
    driver.refresh()
    wait(driver).until(lambda d: (last_answer(d) or {}).get("status") in ("interrupted", "error"))
    assert last_answer(driver)["text"] == broken["text"]


def test_admin_sees_the_simulator_connection_and_hides_a_model(chat_agent, chat_users, browser):
    admin = browser()
    sign_in(admin, chat_agent, chat_users["admin"])
    visible(admin, "#nav-admin").click()
    visible(admin, "#tab-connections").click()
    row = visible(admin, '#connections-body tr[data-kind="openrouter"]')
    assert row.get_attribute("data-source") == "environment"
    assert "OpenRouter" in row.text and "Environment" in row.text
    assert admin.find_element(By.CSS_SELECTOR, "#connections-body tr[data-kind=openrouter] .cell-models").text not in ("", "0")
    # Verify answers and the status stays good.
    row.find_element(By.CSS_SELECTOR, ".verify-connection").click()
    wait_text(admin, "#alert-text", "works")
    screenshot(admin, "admin-connections.png")

    employee = chat_users["employee"]
    models = api_session(chat_agent, employee).get(chat_agent.url + "/api/models", timeout=10).json()
    ids = [m["id"] for m in models["data"]]
    victim = next(i for i in ids if i != models["default_model"])

    visible(admin, "#tab-models").click()
    box = visible(admin, f'#models-body .model-hidden[data-model="{victim}"]')
    assert not box.is_selected()
    box.click()
    admin.find_element(By.ID, "models-save").click()
    wait_text(admin, "#alert-text", "Model settings saved")
    assert requests.get(chat_agent.url + "/api/v1/configs/models", timeout=10,
                        headers={"Authorization": f"Bearer {chat_users['admin_token']}"}).json()["HIDDEN_MODELS"] == [victim]

    driver = browser()
    sign_in(driver, chat_agent, employee)
    options = [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "model-select")).options]
    assert victim not in options, options
    assert set(options) == set(ids) - {victim}
    assert Select(driver.find_element(By.ID, "model-select")).first_selected_option.get_attribute("value") == models["default_model"]


def test_phone_width_sidebar_toggles_and_chat_works(chat_agent, chat_users, browser):
    driver = browser(width=390, height=844)
    # Headless Chromium keeps windows at least 500 px wide: emulate the phone's viewport instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    sign_in(driver, chat_agent, chat_users["employee"])
    assert driver.execute_script("return window.innerWidth") <= 390
    assert not driver.find_element(By.ID, "sidebar").is_displayed()
    toggle = visible(driver, "#sidebar-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    visible(driver, "#sidebar")
    assert toggle.get_attribute("aria-expanded") == "true"
    visible(driver, "#chat-search").send_keys(Keys.ESCAPE)
    wait(driver).until(EC.invisibility_of_element_located((By.ID, "sidebar")))

    box = visible(driver, "#composer-input")
    rect = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", box)
    assert rect["left"] >= 0 and rect["right"] <= 390, rect
    send = driver.find_element(By.ID, "send-button").rect
    assert send["x"] + send["width"] <= 390, send
    no_overflow = driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow
    type_message(driver, "Hello from my phone [[sim:tokens=10]]")
    answer = wait_answer_done(driver)
    assert answer["status"] == "complete" and answer["text"].startswith("Hello from my phone"), answer
    chat_id = current_chat_id(driver)
    toggle.click()
    item = visible(driver, f'#chat-list .chat-item[data-id="{chat_id}"]')
    assert "Hello from my phone" in item.text
    item.find_element(By.CSS_SELECTOR, ".chat-link").click()
    wait(driver).until(EC.invisibility_of_element_located((By.ID, "sidebar")))
    visible(driver, "#composer-input")
    no_script_errors(driver)
