"""The web UI in a real browser (headless Chromium via Selenium) against a real agent.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package: `make test` installs them.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - reported by the fixture below
    webdriver = None

from chromium import wait_text

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

WAIT = 10

ADMIN = {"name": "Ada Admin", "email": "ada@example.com", "password": "correct-horse-1"}
EMPLOYEE = {"name": "Emil Employee", "email": "emil@example.com", "password": "battery-staple-2"}


def make_driver():
    """A fresh headless Chromium with its own profile (so: no cookies) and browser-console logging."""
    if webdriver is None:
        pytest.fail("selenium is not installed: run `make test`, which installs it into .venv")
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make test`, which installs chromium and chromium-driver")
    os.environ["SE_OFFLINE"] = "true"
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    except WebDriverException as error:
        pytest.fail(f"could not start headless Chromium ({error.msg}); `make test` installs a matching chromium-driver")


@pytest.fixture
def browser():
    drivers = []

    def new():
        driver = make_driver()
        drivers.append(driver)
        return driver

    yield new
    for driver in drivers:
        driver.quit()


# MARK: - Helpers


def wait(driver):
    return WebDriverWait(driver, WAIT)


def visible(driver, css):
    return wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def fill(driver, values: dict[str, str]):
    for element_id, value in values.items():
        field = visible(driver, f"#{element_id}")
        field.clear()
        field.send_keys(value)


def submit(driver, form_id):
    driver.find_element(By.CSS_SELECTOR, f"#{form_id} [type=submit]").click()


def user_row(driver, email):
    return wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#users-table tr[data-email="{email}"]')))



def onboard(driver, agent):
    """Opens the fresh instance, creates the administrator through the onboarding form, lands on
    the chat page, and opens Admin → Users."""
    driver.get(agent.url + "/")
    visible(driver, "#signup-form")
    assert "administrator" in driver.find_element(By.CSS_SELECTOR, "#signup-form h1").text.lower()
    assert not driver.find_element(By.ID, "signin-form").is_displayed()
    fill(driver, {"signup-name": ADMIN["name"], "signup-email": ADMIN["email"], "signup-password": ADMIN["password"]})
    submit(driver, "signup-form")
    wait_text(driver, "#user-name", ADMIN["name"])
    visible(driver, "#composer-input")  # signed-in users start on the chat page
    open_admin(driver)


def open_admin(driver):
    """Opens Admin → Users from the header."""
    visible(driver, "#nav-admin").click()
    visible(driver, "#admin-panel")
    visible(driver, "#users-table")


def sign_in(driver, email, password):
    visible(driver, "#signin-form")
    fill(driver, {"signin-email": email, "signin-password": password})
    submit(driver, "signin-form")


# MARK: - Tests


def test_onboarding_creates_admin_and_session_survives_reload(agent, browser):
    driver = browser()
    onboard(driver, agent)
    assert driver.title == requests.get(agent.url + "/api/config", timeout=5).json()["name"]

    row = user_row(driver, ADMIN["email"])
    assert ADMIN["name"] in row.text
    assert Select(row.find_element(By.CSS_SELECTOR, "select")).first_selected_option.get_attribute("value") == "admin"
    assert visible(driver, "#add-user-form")

    driver.refresh()
    wait_text(driver, "#user-name", ADMIN["name"])
    user_row(driver, ADMIN["email"])
    assert not driver.find_element(By.ID, "signin-form").is_displayed()

    visible(driver, "#signout").click()
    visible(driver, "#signin-form")
    assert not driver.find_element(By.ID, "user-name").is_displayed()
    # Signed out for real: the cookie no longer opens a session.
    driver.refresh()
    visible(driver, "#signin-form")


def test_admin_adds_employee_who_signs_in(agent, browser):
    admin = browser()
    onboard(admin, agent)
    user_row(admin, ADMIN["email"])
    fill(admin, {"add-user-name": EMPLOYEE["name"], "add-user-email": EMPLOYEE["email"], "add-user-password": EMPLOYEE["password"]})
    Select(admin.find_element(By.ID, "add-user-role")).select_by_value("user")
    submit(admin, "add-user-form")
    row = user_row(admin, EMPLOYEE["email"])
    assert EMPLOYEE["name"] in row.text
    assert Select(row.find_element(By.CSS_SELECTOR, "select")).first_selected_option.get_attribute("value") == "user"

    employee = browser()  # its own profile: no admin cookies
    employee.get(agent.url + "/")
    sign_in(employee, EMPLOYEE["email"], EMPLOYEE["password"])
    wait_text(employee, "#user-name", EMPLOYEE["name"])
    visible(employee, "#composer-input")  # the chat page
    assert not employee.find_element(By.ID, "admin-panel").is_displayed()
    assert not employee.find_element(By.ID, "nav-admin").is_displayed()

    visible(employee, "#signout").click()
    expected = requests.post(agent.url + "/api/v1/auths/signin",
                             json={"email": EMPLOYEE["email"], "password": "not-the-password"}, timeout=5)
    assert expected.status_code == 400, (expected.status_code, expected.text[:500])
    detail = expected.json()["detail"]
    sign_in(employee, EMPLOYEE["email"], "not-the-password")
    visible(employee, "#alert")
    assert wait_text(employee, "#alert", detail).strip().startswith(detail)
    assert employee.find_element(By.ID, "alert").get_attribute("role") == "alert"
    assert employee.find_element(By.ID, "signin-form").is_displayed()


def test_page_lives_within_the_content_security_policy(agent, browser):
    csp = requests.get(agent.url + "/", timeout=5).headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp

    driver = browser()
    onboard(driver, agent)  # sign-up screen, then the signed-in admin screen with the users table
    user_row(driver, ADMIN["email"])
    visible(driver, "#signout").click()
    visible(driver, "#signin-form")
    # The stylesheet applied (a blocked one would leave the card without its rounded corners).
    assert driver.find_element(By.ID, "signin-form").value_of_css_property("border-top-left-radius") == "10px"

    entries = driver.get_log("browser")
    csp_errors = [e["message"] for e in entries if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"]]
    assert not csp_errors, csp_errors
    script_errors = [e["message"] for e in entries if "Uncaught" in e["message"]]
    assert not script_errors, script_errors


def test_open_signup_leads_to_waiting_screen_until_approved(agent, browser):
    admin = browser()
    onboard(admin, agent)
    user_row(admin, ADMIN["email"])
    checkbox = visible(admin, "#setting-enable-signup")
    assert not checkbox.is_selected()
    checkbox.click()
    Select(admin.find_element(By.ID, "setting-default-role")).select_by_value("pending")
    submit(admin, "signup-settings-form")
    wait(admin).until(lambda d: requests.get(agent.url + "/api/config", timeout=5).json()["features"]["enable_signup"])

    visitor = browser()
    visitor.get(agent.url + "/")
    visible(visitor, "#signin-form")
    visible(visitor, "#to-signup").click()
    visible(visitor, "#signup-form")
    fill(visitor, {"signup-name": "Paula Pending", "signup-email": "paula@example.com", "signup-password": "patience-3"})
    submit(visitor, "signup-form")
    visible(visitor, "#pending-screen")
    assert wait_text(visitor, "#pending-screen", "paula@example.com")

    admin.refresh()
    row = user_row(admin, "paula@example.com")
    Select(row.find_element(By.CSS_SELECTOR, "select")).select_by_value("user")
    wait_text(admin, "#alert", "paula@example.com")

    visitor.refresh()
    visible(visitor, "#composer-input")  # the chat page
    assert not visitor.find_element(By.ID, "pending-screen").is_displayed()

    # Delete asks first; dismissing keeps the account, accepting removes it.
    row = user_row(admin, "paula@example.com")
    row.find_element(By.CSS_SELECTOR, ".delete-user").click()
    wait(admin).until(EC.alert_is_present()).dismiss()
    user_row(admin, "paula@example.com")
    row.find_element(By.CSS_SELECTOR, ".delete-user").click()
    wait(admin).until(EC.alert_is_present()).accept()
    wait(admin).until(EC.invisibility_of_element_located((By.CSS_SELECTOR, '#users-table tr[data-email="paula@example.com"]')))
    assert requests.post(agent.url + "/api/v1/auths/signin",
                         json={"email": "paula@example.com", "password": "patience-3"}, timeout=5).status_code == 400


def test_changing_the_password_says_the_personal_api_key_ended(agent, browser):
    """A password change ends the personal API key (whoever knew the old password may have made
    it): the page says so, in words, and the key no longer opens the API."""
    driver = browser()
    onboard(driver, agent)
    visible(driver, "#open-settings").click()
    visible(driver, "#settings-dialog")
    visible(driver, "#api-key-create").click()
    key = wait(driver).until(lambda d: d.find_element(By.ID, "api-key-value").get_attribute("value"))
    models = requests.get(agent.url + "/api/models", headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert models.status_code == 200, models.text

    new_password = "a-new-horse-2"
    fill(driver, {"password-current": ADMIN["password"], "password-new": new_password})
    submit(driver, "password-form")
    shown = wait_text(driver, "#alert", "personal API key stopped working")
    assert shown.strip().startswith("Your password has been changed."), shown
    after = requests.get(agent.url + "/api/models", headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert after.status_code == 401, (after.status_code, after.text)

    # Without a key, a password change says only that.
    fill(driver, {"password-current": new_password, "password-new": ADMIN["password"]})
    submit(driver, "password-form")
    def changed_again(d):
        text = d.find_element(By.ID, "alert").text.strip()  # the message, then the close button's ×
        return text if text and "API key" not in text else False
    try:
        shown = WebDriverWait(driver, 15, poll_frequency=0.1).until(changed_again)
    except TimeoutException:
        raise AssertionError(f"the second change showed {driver.find_element(By.ID, 'alert').text!r}") from None
    assert shown.splitlines()[0] == "Your password has been changed.", shown
