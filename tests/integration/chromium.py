"""Headless Debian Chromium through Selenium, shared by the browser test files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
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
