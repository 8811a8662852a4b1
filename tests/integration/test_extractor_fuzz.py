"""Extractor fuzzing against the real binary (issue 15): hostile and amplifying files of every
supported format, made here in Python (an independent generator, seeded), go through the upload and
ingestion path. Every file ends `ready` or `failed` with a reason a person can act on, none becomes
more passages than the per-file budget, the agent never dies, its peak memory stays bounded, and
/health answers throughout."""
from __future__ import annotations

import io
import json
import random
import time
import zipfile
from pathlib import Path

import requests

from conftest import bearer

SEED = 20261203
MAX_PASSAGES = 20_000  # ExtractionBudget's per-file passage limit
REASONS = {"unsupported", "encrypted", "corrupt", "too_big", "no_text", "empty", "failed", "crashed"}


def zipped(entries: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def office(kind: str, body: str, extra: dict[str, bytes | str] | None = None) -> bytes:
    """A minimal docx/pptx/xlsx container whose main part is `body`."""
    parts: dict[str, bytes | str] = {"[Content_Types].xml": "<Types/>"}
    if kind == "docx":
        parts["word/document.xml"] = body
    elif kind == "pptx":
        parts["ppt/presentation.xml"] = "<presentation/>"
        parts["ppt/slides/slide1.xml"] = body
    else:
        parts["xl/workbook.xml"] = '<workbook><sheets><sheet name="S"/></sheets></workbook>'
        parts["xl/worksheets/sheet1.xml"] = body
    parts.update(extra or {})
    return zipped(parts)


def hostile_files(rng: random.Random) -> list[tuple[str, bytes]]:
    words = [f"word{rng.randrange(10_000)}" for _ in range(2_000)]
    files: list[tuple[str, bytes]] = [
        # Text: one endless line, millions of empty lines, random valid UTF-8 of every plane.
        ("line.txt", (" ".join(words) * 60).encode()),
        ("newlines.md", b"\n" * (3 << 20)),
        ("unicode.txt", "".join(chr(rng.choice([rng.randrange(0x20, 0xD7FF), rng.randrange(0xE000, 0x10FFFF)])) for _ in range(200_000)).encode("utf-8", "replace")),
        ("headings.md", ("#" * 6 + " h\n") * 200_000),
        # HTML: deep nesting, entity floods, a giant script, unclosed tags.
        ("deep.html", ("<div>" * 100_000 + "deep text" + "</div>" * 100_000).encode()),
        ("entities.html", ("<p>" + "&amp;&lt;&#x1F600;" * 200_000 + "</p>").encode()),
        ("script.html", ("<html><script>" + "x=1;" * 500_000 + "</script><p>visible</p></html>").encode()),
        ("unclosed.html", ("<p><b><i><span title='" + "a" * 100_000 + "'>" * 5_000).encode()),
        # CSV: 5,000 columns, one 4 MB cell, unbalanced quotes, rows of empty cells.
        ("wide.csv", (",".join(f"c{i}" for i in range(5_000)) + "\n" + ",".join("1" for _ in range(5_000)) + "\n").encode()),
        ("cell.csv", ("a,b\n\"" + "z" * (4 << 20) + "\",1\n").encode()),
        ("quotes.csv", ('a,b\n"' + "x,y\n" * 100_000).encode()),
        ("empty_cells.csv", ("h1,h2,h3\n" + ",,\n" * 300_000).encode()),
        # JSON: nesting far past any parser's depth, a flood of keys, escapes and huge numbers.
        ("deep_array.json", ("[" * 100_000 + "]" * 100_000).encode()),
        ("deep_object.json", ('{"a":' * 50_000 + "1" + "}" * 50_000).encode()),
        ("keys.json", json.dumps({f"k{i}": i for i in range(300_000)}).encode()),
        ("escapes.json", json.dumps({"s": "\u0000\u0001\ud7ff" * 100_000}).encode()),
        ("numbers.json", ("[" + ",".join("1e999999" for _ in range(50_000)) + "]").encode()),
        ("truncated.json", json.dumps({"a": list(range(10_000))}).encode()[:-7]),
        # Office: a zip bomb (100 MB of spaces in ~100 KB), deep XML, a flood of tiny runs, entries
        # with hostile names, and an xlsx whose every cell points at one long shared string.
        ("bomb.docx", office("docx", "<w:document><w:body><w:p><w:r><w:t>" + " " * (100 << 20) + "</w:t></w:r></w:p></w:body></w:document>")),
        ("deep.docx", office("docx", "<w:document>" + "<w:p>" * 100_000 + "<w:t>deep</w:t>" + "</w:p>" * 100_000 + "</w:document>")),
        ("runs.pptx", office("pptx", "<p:sld>" + "<a:t>x</a:t>" * 500_000 + "</p:sld>")),
        ("names.docx", office("docx", "<w:document><w:t>ok</w:t></w:document>", {"../../evil.xml": "x", "/abs.xml": "y", "word/" + "d/" * 300 + "x.xml": "z"})),
        ("shared.xlsx", office("xlsx", "<worksheet><sheetData>" + "<row>" + '<c t="s"><v>0</v></c>' * 20_000 + "</row>" * 1 + "</sheetData></worksheet>",
                               {"xl/sharedStrings.xml": "<sst><si><t>" + "lorem ipsum " * 5_000 + "</t></si></sst>"})),
        ("badindex.xlsx", office("xlsx", '<worksheet><sheetData><row><c t="s"><v>99999999999</v></c><c t="s"><v>-1</v></c></row></sheetData></worksheet>',
                                 {"xl/sharedStrings.xml": "<sst><si><t>only</t></si></sst>"})),
        ("entity.docx", office("docx", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                               '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                               '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]><w:document><w:t>&f;&f;&f;&f;</w:t></w:document>')),
        # PDF: garbage after the magic, a truncated object stream.
        ("garbage.pdf", b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(200_000))),
        ("truncated.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >>\nstream\n" + b"BT " * 50_000),
    ]
    return files


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for {pid}")


def test_hostile_files_of_every_format_end_ready_or_failed_within_budget(agent, admin):
    rng = random.Random(SEED)
    files = hostile_files(rng)
    token = admin["token"]
    before = peak_rss_mib(agent.proc.pid)
    ids: dict[str, str] = {}
    refused: dict[str, tuple[int, str]] = {}
    for name, content in files:
        response = requests.post(agent.url + "/api/v1/files/", files={"file": (name, content)}, headers=bearer(token), timeout=120)
        assert response.status_code < 500, (name, response.status_code, response.text[:300])
        if response.status_code == 200:
            ids[name] = response.json()["id"]
        else:
            refused[name] = (response.status_code, response.json().get("detail", ""))
            assert refused[name][1], (name, response.status_code, response.text[:300])
    assert ids, f"every file was refused at upload: {refused}"
    outcome: dict[str, dict] = {}
    slowest_health = 0.0
    deadline = time.monotonic() + 600
    while len(outcome) < len(ids) and time.monotonic() < deadline:
        assert agent.proc.poll() is None, f"the agent died (exit {agent.proc.returncode}) with {sorted(set(ids) - set(outcome))} pending:\n{agent.log()[-3000:]}"
        started = time.monotonic()
        health = requests.get(agent.url + "/health", timeout=30)
        slowest_health = max(slowest_health, time.monotonic() - started)
        assert health.status_code == 200, (health.status_code, health.text[:200])
        for name, file_id in ids.items():
            if name in outcome:
                continue
            state = requests.get(agent.url + f"/api/v1/files/{file_id}", headers=bearer(token), timeout=30).json()
            if state["status"] in ("ready", "failed"):
                outcome[name] = state
        time.sleep(0.5)
    pending = sorted(set(ids) - set(outcome))
    report = {name: (state["status"], state.get("error_code"), state.get("chunk_count")) for name, state in sorted(outcome.items())}
    after = peak_rss_mib(agent.proc.pid)
    print(f"seed {SEED}; refused at upload: {refused}")
    print(f"outcomes: {json.dumps(report)}")
    print(f"peak RSS {before:.1f} -> {after:.1f} MiB; slowest /health {slowest_health * 1000:.0f} ms")
    assert not pending, f"still not ready or failed after 10 minutes: {pending}; others: {report}"
    for name, state in outcome.items():
        assert state["chunk_count"] <= MAX_PASSAGES, (name, state)
        if state["status"] == "failed":
            assert state.get("error_code") in REASONS and state.get("error"), (name, state)
    assert after - before < 256, f"peak memory grew by {after - before:.0f} MiB while reading {len(ids)} hostile files: {report}"
    assert agent.proc.poll() is None, agent.log()[-3000:]
