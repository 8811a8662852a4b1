"""The usage pages in a real browser (headless Chromium via Selenium) against a real agent whose
OpenRouter connection is the local simulator and whose dashboard refreshes every 2 s
(`usage_agent`, `usage_users` in conftest.py).

Covers Admin → Usage (live tiles, tables with raw cost and price, the SVG chart, CSV downloads,
confirmation, budgets, generations), the 402 of a used-up budget in the chat, "My usage", and the
German page. Screenshots go to tests/integration/artifacts/.
"""
from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
import requests

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - reported by the fixture below
    webdriver = None

from chromium import browser_fixture, wait_text

from conftest import bearer

WAIT = 15
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


browser = browser_fixture(height=1000)


def wait(driver, timeout=WAIT):
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))


def visible(driver, css, timeout=WAIT):
    return wait(driver, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))



def js(driver, script, *args):
    return driver.execute_script(script, *args)


def sign_in(driver, agent, user):
    driver.get(agent.url + "/")
    visible(driver, "#signin-email").send_keys(user["email"])
    driver.find_element(By.ID, "signin-password").send_keys(user["password"])
    driver.find_element(By.CSS_SELECTOR, "#signin-form [type=submit]").click()
    wait(driver).until(lambda d: js(d, "return document.getElementById('user-name').textContent") == user["name"])


def open_admin_usage(driver):
    visible(driver, "#nav-admin").click()
    visible(driver, "#tab-usage").click()
    visible(driver, "#usage-panel")
    wait(driver).until(lambda d: js(d, "return document.getElementById('today-requests')?.dataset.value") is not None)


def screenshot(driver, name):
    """The whole page from the top (the window grows to the page's height for the picture)."""
    ARTIFACTS.mkdir(exist_ok=True)
    js(driver, "window.scrollTo(0, 0); document.activeElement?.blur();")
    size = driver.get_window_size()
    height = js(driver, "return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], min(max(height + 140, size["height"]), 4000))
    driver.save_screenshot(str(ARTIFACTS / name))
    driver.set_window_size(size["width"], size["height"])


def no_script_errors(driver):
    bad = [e["message"] for e in driver.get_log("browser")
           if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"] or "Uncaught" in e["message"]]
    assert not bad, bad


def api_session(agent, user):
    session = requests.Session()
    response = session.post(agent.url + "/api/v1/auths/signin", json={"email": user["email"], "password": user["password"]}, timeout=30)
    assert response.status_code == 200, response.text
    return session


def chat_once(agent, session, text="Hello, how much does this cost?"):
    """One streamed completion through the API, read to the end (the provisional row is then booked)."""
    model = session.get(agent.url + "/api/models", timeout=10).json()["default_model"]
    response = session.post(agent.url + "/api/chat/completions", timeout=30, stream=True,
                            json={"model": model, "stream": True, "messages": [{"role": "user", "content": text}]})
    assert response.status_code == 200, response.text
    for _ in response.iter_lines():
        pass


def admin_get(agent, users, path):
    response = requests.get(agent.url + path, headers=bearer(users["admin_token"]), timeout=10)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response


# MARK: - Tests


def test_admin_usage_is_live_and_tables_chart_and_csv_match_the_server(usage_agent, usage_users, browser):
    agent, employee = usage_agent, usage_users["employee"]
    admin = browser()
    sign_in(admin, agent, usage_users["admin"])
    open_admin_usage(admin)
    assert "2 s" in wait_text(admin, "#usage-refresh-note", "2 s")
    before = int(js(admin, "return document.getElementById('today-requests').dataset.value"))
    js(admin, "window.__sameDocument = true;")

    # An employee chats (API); the admin's tile moves by itself within a few refreshes.
    chat_once(agent, api_session(agent, employee))
    wait(admin, 12).until(lambda d: int(js(d, "return document.getElementById('today-requests').dataset.value")) > before)
    assert js(admin, "return window.__sameDocument === true"), "the page was reloaded"

    # The tables follow: the employee's row shows the server's raw cost and price strings. The
    # figures move while the request is confirmed (estimate → OpenRouter's cost), so the page and
    # the server are compared until they agree, each read afresh.
    cell = f'#usage-users-table tbody tr[data-key="{employee["id"]}"]'
    shown_js = """const tr = document.querySelector(arguments[0]); if (!tr) return null;
      const raw = tr.querySelector('.cell-raw'), price = tr.querySelector('.cell-price');
      return [raw.dataset.value, price.dataset.value, raw.innerText.trim(), price.innerText.trim()];"""
    seen = {}

    def agree(d):
        by_user = admin_get(agent, usage_users, "/api/v1/usage/report?group_by=user").json()
        row = next((r for r in by_user["rows"] if r["key"] == employee["id"]), None)
        shown = js(d, shown_js, cell)
        seen.update(row=row, shown=shown, by_user=by_user)
        return row if row and shown == [row["raw_cost"], row["price"], "$" + row["raw_cost"], "$" + row["price"]] else False

    try:
        row = wait(admin, 20).until(agree)
    except TimeoutException:
        raise AssertionError(f"the table never showed the server's figures: {seen}") from None
    by_user = seen["by_user"]
    assert employee["email"] in row["label"]
    assert Decimal(row["raw_cost"]) > 0
    assert abs(Decimal(row["raw_cost"]) * Decimal("1.3") - Decimal(row["price"])) <= Decimal("0.000001"), row
    assert "Emil Employee" in wait_text(admin, cell, "Emil Employee")
    models_js = """return Object.fromEntries([...document.querySelectorAll('#usage-models-table tbody tr[data-key]')]
      .map(tr => [tr.dataset.key, tr.querySelector('.cell-price').dataset.value]));"""

    def models_agree(d):
        by_model = admin_get(agent, usage_users, "/api/v1/usage/report?group_by=model").json()
        expected = {line["key"]: line["price"] for line in by_model["rows"]}
        shown = js(d, models_js)
        seen.update(models=expected, shown_models=shown)
        return expected and all(shown.get(key) == price for key, price in expected.items())

    try:
        wait(admin, 20).until(models_agree)
    except TimeoutException:
        raise AssertionError(f"the models table never showed the server's prices: {seen}") from None
    # Today's spend tile: price and raw side by side, as the summary says.
    summary = admin_get(agent, usage_users, "/api/v1/usage/summary").json()
    assert summary["scope"] == "instance"
    wait(admin).until(lambda d: js(d, "return document.getElementById('tile-today-price').dataset.value") == summary["today"]["price"])
    assert js(admin, "return document.getElementById('tile-today-raw').dataset.value") == summary["today"]["raw_cost"]

    # The chart: one bar per day with usage, accessible title and description, a table beside it.
    by_day = admin_get(agent, usage_users, "/api/v1/usage/report?group_by=day").json()
    used_days = [r["key"] for r in by_day["rows"] if r["requests"] > 0]
    bars = admin.find_elements(By.CSS_SELECTOR, "#usage-chart svg rect.bar")
    assert [b.get_attribute("data-day") for b in bars] == used_days
    assert js(admin, "return document.querySelector('#usage-chart svg').getAttribute('role')") == "img"
    assert js(admin, "return document.querySelector('#usage-chart svg > title').textContent").startswith("Price per day")
    assert by_day["totals"]["price"].lstrip("0") in js(admin, "return document.querySelector('#usage-chart svg > desc').textContent")
    assert js(admin, "return document.querySelector('#usage-daily-table tfoot .cell-price').dataset.value") == by_day["totals"]["price"]

    # CSV: the link asks for format=csv and its totals row is the table's.
    href = admin.find_element(By.ID, "usage-users-csv").get_attribute("href")
    assert "format=csv" in href and "group_by=user" in href, href
    download = requests.get(href, headers=bearer(usage_users["admin_token"]), timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv"), download.text
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows[-1]["label"] == "Total"
    footer = admin.find_element(By.CSS_SELECTOR, "#usage-users-table tfoot")
    assert rows[-1]["raw_cost_usd"] == footer.find_element(By.CSS_SELECTOR, ".cell-raw").get_attribute("data-value") == by_user["totals"]["raw_cost"]
    assert rows[-1]["price_usd"] == footer.find_element(By.CSS_SELECTOR, ".cell-price").get_attribute("data-value") == by_user["totals"]["price"]

    # Unconfirmed rows are marked; "Confirm now" asks the provider and says what it did.
    assert admin.find_elements(By.CSS_SELECTOR, '#usage-users-table tbody .state-badge[data-state="provisional"]')
    assert "Unverified" in admin.find_element(By.ID, "usage-legend").text
    visible(admin, "#usage-sync").click()
    wait_text(admin, "#usage-sync-result", "Confirmed")
    generations = admin_get(agent, usage_users, "/api/v1/usage/generations").json()["generations"]
    assert generations
    wait(admin).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#usage-generations-table tbody tr[data-id]")) == len(generations))
    Select(admin.find_element(By.ID, "generation-status")).select_by_value("estimated")
    wait_text(admin, "#usage-generations-table tbody", "No generation matches")
    Select(admin.find_element(By.ID, "generation-status")).select_by_value("")
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#usage-generations-table tbody tr[data-id]"))
    assert "format=csv" in admin.find_element(By.ID, "usage-generations-csv").get_attribute("href")
    assert not admin.find_element(By.ID, "usage-external").is_displayed()  # nothing from outside
    no_script_errors(admin)
    screenshot(admin, "admin-usage.png")


def test_a_used_up_budget_refuses_the_chat_with_the_servers_detail(usage_agent, usage_users, browser):
    agent, employee = usage_agent, usage_users["employee"]
    chat_once(agent, api_session(agent, employee))

    # The admin sets a tiny monthly limit for the employee in the Budgets section.
    admin = browser()
    sign_in(admin, agent, usage_users["admin"])
    open_admin_usage(admin)
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#budget-user option[value="{employee["id"]}"]'))
    Select(admin.find_element(By.ID, "budget-user")).select_by_value(employee["id"])
    limit = admin.find_element(By.ID, "budget-limit")
    limit.clear()
    limit.send_keys("0.000001")
    admin.find_element(By.ID, "budget-save").click()
    item = visible(admin, f'#budget-list li[data-user-id="{employee["id"]}"]')
    wait_text(admin, "#alert-text", "Monthly limit for Emil Employee saved")
    assert item.get_attribute("data-near") == "true" and item.get_attribute("data-over") == "true"
    assert "Limit reached" in item.text
    listed = admin_get(agent, usage_users, "/api/v1/usage/budgets").json()["budgets"]
    assert [b["user_id"] for b in listed] == [employee["id"]] and listed[0]["near_limit"]

    # The employee's next chat is refused with the server's 402 detail, shown in the chat.
    session = api_session(agent, employee)
    model = session.get(agent.url + "/api/models", timeout=10).json()["default_model"]
    refused = session.post(agent.url + "/api/chat/completions", timeout=30,
                           json={"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    assert refused.status_code == 402, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("You have used your AI budget for this month")
    driver = browser()
    sign_in(driver, agent, employee)
    box = visible(driver, "#composer-input")
    wait(driver).until(lambda d: js(d, "return document.querySelectorAll('#model-select option').length") > 0)
    box.send_keys("One more question, please")
    box.send_keys(Keys.ENTER)
    assert wait_text(driver, "#alert-text", detail) == detail
    wait(driver).until(lambda d: detail in js(d, """
        const s = document.querySelectorAll('#messages .message.assistant .message-status');
        return s.length ? s[s.length - 1].innerText : '';"""))

    # "My usage": this month's totals, the budget used up, the own daily chart.
    driver.find_element(By.ID, "nav-usage").click()
    budget = visible(driver, "#my-budget")
    own = api_session(agent, employee).get(agent.url + "/api/v1/usage/summary", timeout=10).json()
    assert own["scope"] == "user" and own["budget"] is not None
    assert budget.get_attribute("data-percent") == str(own["budget_used_percent"])
    assert "used up" in budget.text
    wait(driver).until(lambda d: js(d, "return document.getElementById('my-month-price')?.dataset.value") == own["month"]["price"])
    assert js(driver, "return document.getElementById('my-month-requests').dataset.value") == str(own["month"]["requests"])
    assert len(driver.find_elements(By.CSS_SELECTOR, "#my-usage-chart svg rect.bar")) == 1
    assert "scope=me" in driver.find_element(By.ID, "my-daily-csv").get_attribute("href")
    assert driver.find_element(By.ID, "nav-usage").get_attribute("aria-current") == "page"
    no_script_errors(driver)
    screenshot(driver, "my-usage.png")

    # Removing the limit lets the employee chat again.
    item = admin.find_element(By.CSS_SELECTOR, f'#budget-list li[data-user-id="{employee["id"]}"]')
    item.find_element(By.CSS_SELECTOR, ".budget-remove").click()
    visible(admin, "#budget-empty")
    assert admin_get(agent, usage_users, "/api/v1/usage/budgets").json()["budgets"] == []


def test_the_usage_page_speaks_german(usage_agent, usage_users, browser):
    driver = browser(lang="de-DE")
    sign_in(driver, usage_agent, usage_users["admin"])
    assert visible(driver, "#nav-usage").text == "Mein Verbrauch"
    open_admin_usage(driver)
    assert driver.find_element(By.ID, "tab-usage").text == "Verbrauch"
    assert driver.find_element(By.CSS_SELECTOR, "#usage-panel h2").text == "Verbrauch und Kosten"
    assert "Aktualisiert alle 2 s" in wait_text(driver, "#usage-refresh-note", "Aktualisiert")
    assert driver.find_element(By.ID, "usage-sync").text == "Jetzt bestätigen"
    assert driver.find_element(By.ID, "usage-users-csv").text == "CSV herunterladen"
    assert "Kosten heute" in driver.find_element(By.ID, "tile-today-spend").get_attribute("textContent")
    assert driver.find_element(By.ID, "usage-budgets-title").text == "Budgets"
    assert "Gesamte Instanz" in driver.find_element(By.ID, "budget-user").text
    headers = [th.get_attribute("textContent") for th in driver.find_elements(By.CSS_SELECTOR, "#usage-users-table thead th")]
    assert "Anbieterkosten" in headers and "Preis" in headers, headers
    # Money in German style: decimal comma, the sign after the amount.
    assert driver.find_element(By.ID, "tile-today-price").text.endswith("$")
    assert "," in driver.find_element(By.ID, "tile-today-price").text
    driver.find_element(By.ID, "nav-usage").click()
    assert visible(driver, "#my-usage-title").text == "Mein Verbrauch"
    no_script_errors(driver)
