"""Documents and knowledge in a real browser (headless Chromium via Selenium) against the real
agent binary with the OpenRouter simulator: upload (resumable, with progress) → each file's state →
attach with the `#` picker → ask → the answer carries a numbered citation that opens the passage.
The citation comes from the agent's retrieval, not from the model.
"""
from __future__ import annotations

import time
from pathlib import Path

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from chromium import browser_fixture
from test_chat_browser import (LAST_ANSWER_JS, no_script_errors, screenshot, sign_in, type_message, visible, wait,
                               wait_answer_done)

browser = browser_fixture(height=900)


def pdf(pages: list[str]) -> bytes:
    """A small valid PDF, one line of Helvetica text per page."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>")
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = "%PDF-1.4\n", []
    for i, obj in enumerate(objects):
        offsets.append(len(out))
        out += f"{i + 1} 0 obj\n{obj}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode()


def file_states(driver) -> dict:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#files-body tr')].map(r => [r.dataset.name, "
        "{status: r.dataset.status, text: r.querySelector('.file-status').innerText}]))")


def test_upload_ask_and_open_the_cited_passage(chat_agent, chat_users, browser, tmp_path: Path):
    employee = chat_users["employee"]
    handbook = tmp_path / "handbook.pdf"
    handbook.write_bytes(pdf(["Brightwave Employee Handbook", "Employees have 28 days of paid annual leave per year.",
                              "The visitor Wi-Fi is called BW-Guest."]))
    broken = tmp_path / "broken.json"
    broken.write_text('{"teams": [1, 2')
    image = tmp_path / "photo.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")

    driver = browser()
    sign_in(driver, chat_agent, employee)
    visible(driver, "#nav-knowledge").click()
    upload = visible(driver, "#upload-input")
    upload.send_keys("\n".join(str(p) for p in (handbook, broken, image)))
    driver.find_element(By.ID, "upload-submit").click()

    # Each file shows its state: the PDF is read, the broken JSON fails with its reason, and the
    # image is refused at upload with the reason in the alert.
    wait(driver, 30).until(lambda d: file_states(d).get("handbook.pdf", {}).get("status") == "ready"
                           and file_states(d).get("broken.json", {}).get("status") == "failed")
    states = file_states(driver)
    assert "JSON" in states["broken.json"]["text"], states
    assert "photo.txt" not in states, states
    wait(driver).until(lambda d: "PNG image" in d.find_element(By.ID, "alert-text").text)
    screenshot(driver, "knowledge-files.png")

    # Back to the chat: # opens the picker, Enter attaches the document.
    visible(driver, "#nav-chat").click()
    box = visible(driver, "#composer-input")
    wait(driver).until(lambda d: box.is_enabled())
    box.send_keys("#hand")
    picker = visible(driver, "#hash-picker")
    wait(driver).until(lambda d: "handbook.pdf" in picker.text)
    box.send_keys(Keys.ENTER)
    chip = visible(driver, "#attachments .attachment")
    assert "handbook.pdf" in chip.text
    assert box.get_attribute("value").strip() == ""

    type_message(driver, "How many days of annual leave do employees get?")
    wait_answer_done(driver, timeout=30)
    citation = visible(driver, "#messages .message.assistant .sources .citation")
    assert citation.text.startswith("[1] handbook.pdf, page 2"), citation.text
    screenshot(driver, "knowledge-answer.png")

    # The citation opens the passage and its source.
    citation.click()
    dialog = visible(driver, "#citation-dialog")
    assert "page 2" in driver.find_element(By.ID, "citation-title").text
    assert "28 days of paid annual leave" in driver.find_element(By.ID, "citation-text").text
    screenshot(driver, "knowledge-citation.png")
    driver.find_element(By.ID, "citation-close").click()
    wait(driver).until(lambda d: not dialog.is_displayed())

    # Reopening the chat shows the saved citation.
    driver.refresh()
    visible(driver, "#messages .message.assistant .sources .citation")
    assert driver.execute_script(LAST_ANSWER_JS)["status"] == "complete"
    no_script_errors(driver)


def test_another_employee_cannot_retrieve_my_document(chat_agent, chat_users, tmp_path: Path):
    """Over real HTTP: the admin's file id sent by the employee yields no passage and no citation."""
    admin = requests.Session()
    assert admin.post(chat_agent.url + "/api/v1/auths/signin", json={"email": chat_users["admin"]["email"],
                      "password": chat_users["admin"]["password"]}, timeout=30).status_code == 200
    uploaded = admin.post(chat_agent.url + "/api/v1/files/", files={"file": ("salaries.txt", b"The CEO salary is 250000 euros per year.")}, timeout=30)
    assert uploaded.status_code == 200, uploaded.text
    file_id = uploaded.json()["id"]
    for _ in range(100):
        time.sleep(0.1)
        if admin.get(chat_agent.url + f"/api/v1/files/{file_id}", timeout=5).json()["status"] == "ready":
            break
    mine = admin.post(chat_agent.url + "/api/v1/knowledge/query", json={"query": "CEO salary", "files": [{"type": "file", "id": file_id}]}, timeout=30)
    assert len(mine.json()) == 1
    employee = requests.Session()
    assert employee.post(chat_agent.url + "/api/v1/auths/signin", json={"email": chat_users["employee"]["email"],
                         "password": chat_users["employee"]["password"]}, timeout=30).status_code == 200
    theirs = employee.post(chat_agent.url + "/api/v1/knowledge/query", json={"query": "CEO salary", "files": [{"type": "file", "id": file_id}]}, timeout=30)
    assert theirs.status_code == 200 and theirs.json() == []
    answer = employee.post(chat_agent.url + "/api/chat/completions", timeout=30, json={
        "model": "openai/gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "What is the CEO salary?"}],
        "files": [{"type": "file", "id": file_id}]})
    assert answer.status_code == 200, (answer.status_code, answer.text[:500])
    assert '"sources"' not in answer.text


def test_admin_changes_retrieval_settings_on_the_documents_page(chat_agent, chat_users, browser):
    driver = browser()
    sign_in(driver, chat_agent, chat_users["admin"])
    visible(driver, "#nav-knowledge").click()
    top_k = visible(driver, "#retrieval-form [data-setting=RAG_TOP_K]")
    wait(driver).until(lambda d: top_k.get_attribute("value") == "3")
    source = driver.find_element(By.CSS_SELECTOR, "[data-source-for=RAG_TOP_K]")
    assert source.text == "Built-in default"
    top_k.clear()
    top_k.send_keys("5")
    driver.find_element(By.CSS_SELECTOR, "#retrieval-form [type=submit]").click()
    wait(driver).until(lambda d: source.text == "Set here")
    config = requests.post(chat_agent.url + "/api/v1/auths/signin", timeout=30, json={"email": chat_users["admin"]["email"], "password": chat_users["admin"]["password"]})
    token = config.json()["token"]
    values = requests.get(chat_agent.url + "/api/v1/retrieval/config", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert values["values"]["RAG_TOP_K"] == "5" and values["sources"]["RAG_TOP_K"] == "database"
    # An invalid value is refused with the reason.
    top_k.clear()
    top_k.send_keys("0")
    driver.find_element(By.CSS_SELECTOR, "#retrieval-form [type=submit]").click()
    wait(driver).until(lambda d: "RAG_TOP_K" in d.find_element(By.ID, "alert-text").text)
    # Employees do not see the settings.
    employee = browser()
    sign_in(employee, chat_agent, chat_users["employee"])
    visible(employee, "#nav-knowledge").click()
    visible(employee, "#upload-input")
    assert not employee.find_element(By.ID, "retrieval-settings").is_displayed()
