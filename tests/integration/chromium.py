"""Headless Debian Chromium through Selenium, shared by the browser test files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
except ImportError:  # pragma: no cover - reported by make_driver
    webdriver = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def make_driver(width: int = 1280, height: int = 900, lang: str = "en-US"):
    """A fresh headless Chromium with its own profile (no cookies, empty localStorage)."""
    if webdriver is None:
        pytest.fail("selenium is not installed: run `make test`, which installs it into .venv")
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make test`, which installs chromium and chromium-driver")
    os.environ["SE_OFFLINE"] = "true"
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}", f"--lang={lang}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    except WebDriverException as error:
        pytest.fail(f"could not start headless Chromium ({error.msg}); `make test` installs a matching chromium-driver")


def browser_fixture(**defaults):
    """A `browser` fixture: `browser(**options)` opens a driver; all are quit after the test."""

    @pytest.fixture
    def browser():
        drivers = []

        def new(**kwargs):
            driver = make_driver(**{**defaults, **kwargs})
            drivers.append(driver)
            return driver

        yield new
        for driver in drivers:
            driver.quit()

    return browser


_TEXT_OF = "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : null;"


def wait_text(driver, css: str, text: str, timeout: float = 15):
    """Waits until the element `css` names shows `text` and returns its whole (trimmed) text.

    The element is looked up and read in one step inside the page, so a list drawn again between a
    lookup and a read cannot leave the test holding an element that no longer exists. On timeout the
    failure says what the element showed instead.
    """
    def shown(d):
        current = d.execute_script(_TEXT_OF, css)
        return current if current is not None and text in current else False

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(shown)
    except TimeoutException:
        current = driver.execute_script(_TEXT_OF, css)
        where = "no such element" if current is None else f"it shows {current!r}"
        raise AssertionError(f"{css!r} did not show {text!r} within {timeout} s; {where}") from None
