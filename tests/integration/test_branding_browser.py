"""Branding in a real browser (headless Debian Chromium via Selenium).

Two modes:
- On its own (`pytest tests/integration`): starts two real agents with the fleet admin API on,
  pushes the example fleet's `acme` brand to the first through `PUT /admin/v1/branding`, and checks
  what the browser shows at both.
- From the Swift integration suite on the test fleet (`IntegrationBrandBackupTests`): the brand was
  pushed by `maictl brand push` to one host; MAI_BRAND_URL / MAI_BRAND_OTHER_URL / MAI_BRAND_NAME /
  MAI_BRAND_OTHER_NAME / MAI_BRAND_PRIMARY name what to expect, and nothing is pushed here.

Screenshots go to tests/integration/artifacts/.
"""
from __future__ import annotations

import base64
import os
import tomllib
from pathlib import Path

import pytest
import requests

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - reported by the browser fixture
    pass

from chromium import browser_fixture
from conftest import ROOT, free_port, start_agent

browser = browser_fixture(width=1200, height=850)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BRAND_DIR = ROOT / "fleet" / "clients" / "acme" / "brand"
# fleet/clients/acme/brand/logo.svg as the agent stores and serves it: written anew from the SVG
# allowlist (attributes sorted, explicit end tags, no whitespace between elements).
ACME_LOGO_STORED = (b'<svg xmlns="http://www.w3.org/2000/svg" height="64" viewBox="0 0 64 64" width="64"><title>Acme</title>'
                    b'<rect fill="#b3261e" height="64" rx="14" width="64"></rect>'
                    b'<path d="M18 48 L32 14 L46 48 H39 L36 40 H28 L25 48 Z M30 34 H34 L32 28 Z" fill="#ffffff"></path></svg>')
TOKEN = "branding-test-token-0123456789abcdef"
WAIT = 10


def hex_to_rgb(color: str) -> str:
    value = color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def acme_update() -> tuple[dict, dict]:
    """The example fleet's acme brand as the admin API's JSON body, and the parsed brand.toml."""
    brand = tomllib.loads((BRAND_DIR / "brand.toml").read_text())
    image = lambda name: {"content_type": "application/octet-stream", "data": base64.b64encode((BRAND_DIR / name).read_bytes()).decode()}
    colors = lambda table: {key.replace("_", "-"): value for key, value in brand.get(table, {}).items()}
    body = {"name": brand["name"], "light": colors("light"), "dark": colors("dark"), "logo": image(brand["logo"]), "favicon": image(brand["favicon"])}
    return body, brand


@pytest.fixture
def targets(tmp_path: Path):
    """(branded URL, other URL, expected name, other's name, expected primary colour)."""
    if os.environ.get("MAI_BRAND_URL"):
        yield (os.environ["MAI_BRAND_URL"], os.environ["MAI_BRAND_OTHER_URL"], os.environ["MAI_BRAND_NAME"],
               os.environ["MAI_BRAND_OTHER_NAME"], os.environ["MAI_BRAND_PRIMARY"])
        return
    agents = []
    admin_ports = []
    for index in range(2):
        port = free_port()
        admin_ports.append(port)
        agents.append(start_agent(tmp_path / f"data-{index}", {"MAI_FLEET_TOKEN": TOKEN, "ADMIN_BIND": f"127.0.0.1:{port}",
                                                               "WEBUI_NAME": f"Plain {index}", "MAI_INSTANCE": f"plain{index}"}))
    try:
        body, brand = acme_update()
        admin = f"http://127.0.0.1:{admin_ports[0]}"
        evil = {"logo": {"content_type": "image/svg+xml", "data": base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').decode()}}
        refused = requests.put(admin + "/admin/v1/branding", json=evil, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert refused.status_code == 422 and "onload=" in refused.json()["detail"], refused.text
        pushed = requests.put(admin + "/admin/v1/branding", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert pushed.status_code == 200, pushed.text
        yield (agents[0].url, agents[1].url, brand["name"], "Plain 1", brand["light"]["primary"])
    finally:
        for agent in agents:
            agent.stop()


def signin_page(driver, url: str):
    driver.get(url + "/")
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))
    WebDriverWait(driver, WAIT).until(EC.visibility_of_element_located((By.ID, "auth-screen")))


def shown(driver) -> dict:
    """What a person sees: tab title, the names on the page, the primary colour, logo and favicon."""
    return driver.execute_script("""
        const button = document.querySelector('#auth-screen button.primary:not([hidden])')
          || [...document.querySelectorAll('#auth-screen button.primary')].find((b) => b.offsetParent);
        const logo = document.getElementById('auth-brand-logo');
        return {
          title: document.title,
          header: document.getElementById('brand-name').textContent,
          signin: document.getElementById('auth-brand-name').textContent,
          primary: getComputedStyle(document.documentElement).getPropertyValue('--color-primary').trim(),
          button: button ? getComputedStyle(button).backgroundColor : null,
          logoLoaded: logo.complete && logo.naturalWidth > 0,
          logoSrc: logo.currentSrc,
          favicon: document.getElementById('brand-favicon').href,
        };
    """)


def test_branding_shows_at_one_instance_and_nowhere_else(browser, targets):
    url, other_url, name, other_name, primary = targets
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver = browser()

    signin_page(driver, url)
    WebDriverWait(driver, WAIT).until(lambda d: d.title == name)
    seen = shown(driver)
    driver.save_screenshot(str(ARTIFACTS / "branding-branded.png"))
    assert seen["title"] == name and seen["header"] == name and seen["signin"] == name, seen
    assert seen["primary"] == primary.lower(), seen
    assert seen["button"] == hex_to_rgb(primary), seen
    assert seen["logoLoaded"], seen
    logo = requests.get(seen["logoSrc"], timeout=10)
    favicon = requests.get(seen["favicon"], timeout=10)
    assert logo.status_code == 200 and favicon.status_code == 200
    assert logo.headers["Content-Type"] in ("image/svg+xml", "image/png")
    assert favicon.content != requests.get(other_url + "/favicon.ico", timeout=10).content
    # No console errors: the strict CSP let everything load (no inline style or script needed).
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and "favicon" not in entry["message"]]
    assert not errors, errors

    other = browser()
    signin_page(other, other_url)
    seen_other = shown(other)
    other.save_screenshot(str(ARTIFACTS / "branding-other.png"))
    assert seen_other["title"] == other_name and seen_other["signin"] == other_name, seen_other
    assert seen_other["primary"] == "#4f46e5", seen_other
    assert seen_other["button"] == hex_to_rgb("#4f46e5"), seen_other
    assert requests.get(other_url + "/api/v1/branding", timeout=10).json()["has_logo"] is False


def test_an_administrator_changes_branding_in_the_settings_ui(browser, tmp_path: Path):
    """Admin → Branding: name and colours, then a logo upload; the page changes at once, and an
    unsafe SVG upload is refused with its reason."""
    agent = start_agent(tmp_path / "data", {"WEBUI_NAME": "Before"})
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver = browser()
        wait = WebDriverWait(driver, WAIT)
        driver.get(agent.url + "/")
        wait.until(EC.visibility_of_element_located((By.ID, "signup-form")))
        for element_id, value in {"signup-name": "Ada Admin", "signup-email": "ada@example.com", "signup-password": "correct-horse-1"}.items():
            driver.find_element(By.ID, element_id).send_keys(value)
        driver.find_element(By.CSS_SELECTOR, "#signup-form [type=submit]").click()
        wait.until(EC.visibility_of_element_located((By.ID, "composer-input")))
        assert driver.title == "Before"

        driver.get(agent.url + "/#/admin/branding")
        wait.until(EC.visibility_of_element_located((By.ID, "branding-panel")))
        wait.until(EC.visibility_of_element_located((By.ID, "branding-light-primary")))
        driver.find_element(By.ID, "branding-name").send_keys("Initech AI")
        driver.find_element(By.ID, "branding-light-primary").send_keys("#0b5fff")
        driver.find_element(By.ID, "branding-light-on-primary").send_keys("#ffffff")
        driver.find_element(By.ID, "branding-save").click()
        wait.until(lambda d: d.title == "Initech AI")
        wait.until(lambda d: d.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--color-primary').trim()") == "#0b5fff")
        assert driver.find_element(By.ID, "brand-name").text == "Initech AI"

        # A colour pair below 4.5:1 is refused with the numbers, and nothing changes.
        field = driver.find_element(By.ID, "branding-light-primary")
        field.clear()
        field.send_keys("#ffff00")
        driver.find_element(By.ID, "branding-save").click()
        alert = wait.until(EC.visibility_of_element_located((By.ID, "alert-text")))
        wait.until(lambda d: "contrast" in d.find_element(By.ID, "alert-text").text)
        assert "1.07:1" in alert.text, alert.text

        # Logo upload: the example fleet's acme logo; then an SVG with a script is refused.
        driver.find_element(By.ID, "branding-logo-file").send_keys(str(BRAND_DIR / "logo.svg"))
        wait.until(lambda d: "image/svg+xml" in d.find_element(By.ID, "branding-logo-info").text)
        wait.until(lambda d: d.execute_script("const i = document.getElementById('brand-logo'); return i.complete && i.naturalWidth > 0 && i.src.includes('v=')"))
        assert requests.get(agent.url + "/branding/logo", timeout=10).content == ACME_LOGO_STORED
        evil = tmp_path / "evil.svg"
        evil.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
        driver.find_element(By.ID, "branding-logo-file").send_keys(str(evil))
        wait.until(lambda d: "<script>" in d.find_element(By.ID, "alert-text").text)
        assert requests.get(agent.url + "/branding/logo", timeout=10).content == ACME_LOGO_STORED
        driver.save_screenshot(str(ARTIFACTS / "branding-admin-panel.png"))
    finally:
        agent.stop()
