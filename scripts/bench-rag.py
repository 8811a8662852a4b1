#!/usr/bin/env python3
"""Benchmarks documents and retrieval on a release build of the agent.

1. Ingestion throughput: uploads PDFs (and Word files) through POST /api/v1/files/ and waits until
   every file is `ready`; prints pages per second for extraction + chunking + indexing (no
   embedding model is configured, so no embedding calls are counted).
2. Retrieval latency at 100,000 passages: passages of synthetic text are written straight into a
   migrated database (the FTS5 triggers run as in production), then POST /api/v1/knowledge/query
   over a collection holding all of them is timed end to end over HTTP (median, p95).

    make bench-rag
    scripts/bench-rag.py --agent .build/release/mai-agent [--sim .build/release/mai-sim] [--chunks 100000] [--pdfs 40] [--pages 25] [--queries 300]

With --sim, the same 100,000 passages also get 384-dimension vectors (random unit vectors, written
straight into chunk_vectors) and hybrid queries are timed; the simulator embeds each question.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid
import zipfile

PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    def __init__(self, binary: str, data: str, extra: dict | None = None):
        self.binary, self.data = binary, data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENROUTER_"))}
        env.update({"PORT": str(self.port), "DATA_DIR": data, "LOG_LEVEL": "warning", "ENV": "prod",
                    "RAG_FILE_MAX_SIZE": "200", "RAG_USER_QUOTA": "100000"})
        env.update(extra or {})
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "..", "agent.log"), "ab"))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=0.5)
                return
            except Exception:
                time.sleep(0.05)
        raise SystemExit("agent did not start")

    def call(self, method: str, path: str, body=None, raw: bytes | None = None, content_type: str | None = None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", content_type or "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read() or b"null")

    def sign_in(self):
        try:
            answer = self.call("POST", "/api/v1/auths/signup", {"name": "Bench", "email": "bench@example.com", "password": PASSWORD})
        except urllib.error.HTTPError:
            answer = self.call("POST", "/api/v1/auths/signin", {"email": "bench@example.com", "password": PASSWORD})
        self.token = answer["token"]
        return answer["id"]

    def upload(self, name: str, content: bytes):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.call("POST", "/api/v1/files/", raw=body, content_type=f"multipart/form-data; boundary={boundary}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


# MARK: - Synthetic text
#
# Natural language has a Zipfian vocabulary: a few words are everywhere, most are rare. The text is
# drawn from 50,000 made-up word types with Zipf exponent 1.1 (the word of rank r has probability
# proportional to r^-1.1), ~150 words a passage. The 150 most frequent types play the role of stop
# words (the, and, of …): questions are made of content words, drawn by the same law from ranks
# 150–50,000, 3 to 6 per question, as people type them.

VOCABULARY = 50_000
STOP_RANKS = 150
_syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "pa", "qui", "do", "fe", "gu", "ha", "je", "bo", "ci", "wy", "xe"]


def _word(rank: int) -> str:
    out, n = "", rank + 1
    while n:
        n, digit = divmod(n, len(_syllables))
        out += _syllables[digit]
    return out


WORDS = [_word(r) for r in range(VOCABULARY)]
_weights = [1 / (r + 1) ** 1.1 for r in range(VOCABULARY)]
_cumulative = []
_total = 0.0
for _w in _weights:
    _total += _w
    _cumulative.append(_total)
_content_total = _total - _cumulative[STOP_RANKS - 1]


def _draw(rng: random.Random, low: int = 0) -> str:
    import bisect
    base = _cumulative[low - 1] if low else 0.0
    x = base + rng.random() * (_total - base)
    return WORDS[min(bisect.bisect_left(_cumulative, x), VOCABULARY - 1)]


def sentence(rng: random.Random) -> str:
    return " ".join(_draw(rng) for _ in range(rng.randint(8, 20))).capitalize() + "."


def passage(rng: random.Random, size: int = 900) -> str:
    text = ""
    while len(text) < size:
        text += sentence(rng) + " "
    return text.strip()


def question(rng: random.Random) -> str:
    return " ".join(_draw(rng, STOP_RANKS) for _ in range(rng.randint(3, 6))) + "?"


def pdf(pages: list[str]) -> bytes:
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>")
        lines = [text[j:j + 90] for j in range(0, len(text), 90)]
        stream = "BT /F1 10 Tf 40 760 Td 12 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
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


def docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body + "</w:body></w:document>")
    return buffer.getvalue()


# MARK: - Benchmarks

def ingestion(agent: Agent, rng: random.Random, pdfs: int, pages: int) -> None:
    files = [(f"report-{i}.pdf", pdf([passage(rng, 2500) for _ in range(pages)])) for i in range(pdfs)]
    # Word pages are counted as 2,500 characters each.
    word_texts = [[passage(rng, 500) for _ in range(5 * pages)] for _ in range(max(1, pdfs // 4))]
    words = [(f"notes-{i}.docx", docx(paragraphs)) for i, paragraphs in enumerate(word_texts)]
    word_pages = sum(len(" ".join(paragraphs)) for paragraphs in word_texts) // 2500
    started = time.perf_counter()
    ids = [agent.upload(name, content)["id"] for name, content in files + words]
    while True:
        states = {f["id"]: f for f in agent.call("GET", "/api/v1/files/")}
        if all(states[i]["status"] in ("ready", "failed") for i in ids):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    failed = [states[i]["filename"] for i in ids if states[i]["status"] == "failed"]
    if failed:
        raise SystemExit(f"ingestion failed for {failed}")
    pdf_pages = sum(states[i]["pages"] for i in ids[:len(files)])
    total_pages = pdf_pages + word_pages
    print(f"ingestion: {len(ids)} files, {total_pages} pages ({pdf_pages} PDF), {elapsed:.2f} s upload→ready "
          f"= {total_pages / elapsed:.1f} pages/s (extraction, chunking, FTS5 indexing; no embedding calls)")
    for i in ids:
        agent.call("DELETE", f"/api/v1/files/{i}")


def populate(db_path: str, user_id: str, chunks: int, rng: random.Random) -> str:
    per_file = 1000
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    collection = str(uuid.uuid4())
    now = int(time.time())
    connection.execute("INSERT INTO knowledge (id, user_id, name, description, everyone, created_at, updated_at) VALUES (?, ?, 'bench', '', 0, ?, ?)",
                       (collection, user_id, now, now))
    for f in range(0, chunks, per_file):
        file_id = str(uuid.uuid4())
        count = min(per_file, chunks - f)
        connection.execute("INSERT INTO files (id, user_id, filename, kind, size, received, status, pages, chunk_count, chunk_size, created_at, updated_at) "
                           "VALUES (?, ?, ?, 'text', 1, 1, 'ready', 1, ?, 1000, ?, ?)", (file_id, user_id, f"bench-{f // per_file}.txt", count, now, now))
        connection.execute("INSERT INTO knowledge_files (knowledge_id, file_id) VALUES (?, ?)", (collection, file_id))
        connection.executemany("INSERT INTO file_chunks (file_id, ordinal, text) VALUES (?, ?, ?)",
                               ((file_id, i, passage(rng)) for i in range(count)))
        connection.commit()
    connection.execute("INSERT INTO file_chunks_fts(file_chunks_fts) VALUES ('optimize')")
    connection.commit()
    connection.close()
    return collection


EMBEDDING_MODEL = "openai/text-embedding-3-small"


def add_vectors(db_path: str, rng: random.Random, dimensions: int = 384) -> None:
    import array
    import math
    connection = sqlite3.connect(db_path)
    ids = [row[0] for row in connection.execute("SELECT id FROM file_chunks")]

    def blob():
        values = [rng.gauss(0, 1) for _ in range(dimensions)]
        norm = math.sqrt(sum(v * v for v in values))
        return array.array("f", (v / norm for v in values)).tobytes()  # little-endian on x86/ARM

    for start in range(0, len(ids), 5000):
        connection.executemany("INSERT OR REPLACE INTO chunk_vectors (chunk_id, model, vector) VALUES (?, ?, ?)",
                               ((i, EMBEDDING_MODEL, blob()) for i in ids[start:start + 5000]))
        connection.commit()
    connection.close()


def start_sim(binary: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([binary, "openrouter", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/models", timeout=0.5)
            return proc, url
        except Exception:
            time.sleep(0.05)
    raise SystemExit("mai-sim did not start")


def latency(agent: Agent, collection: str, queries: int, rng: random.Random, mode: str = "bm25") -> None:
    questions = [question(rng) for _ in range(queries)]
    for q in questions[:10]:  # warm-up
        agent.call("POST", "/api/v1/knowledge/query", {"query": q, "mode": mode, "files": [{"type": "collection", "id": collection}]})
    times, found = [], 0
    for q in questions:
        started = time.perf_counter()
        result = agent.call("POST", "/api/v1/knowledge/query", {"query": q, "mode": mode, "files": [{"type": "collection", "id": collection}]})
        times.append((time.perf_counter() - started) * 1000)
        found += bool(result)
    times.sort()
    print(f"retrieval over HTTP, {mode} top-3: {len(times)} queries, p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms ({found} with results)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--sim", help="mai-sim binary: also time hybrid retrieval")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--pages", type=int, default=25)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    work = tempfile.mkdtemp(prefix="mai-bench-rag-")
    data = os.path.join(work, "data")
    os.makedirs(data)
    try:
        agent = Agent(args.agent, data)
        user_id = agent.sign_in()
        ingestion(agent, rng, args.pdfs, args.pages)
        agent.stop()
        started = time.perf_counter()
        collection = populate(os.path.join(data, "webui.db"), user_id, args.chunks, rng)
        print(f"populated {args.chunks} passages in {time.perf_counter() - started:.1f} s")
        agent = Agent(args.agent, data)
        agent.sign_in()
        latency(agent, collection, args.queries, rng)
        agent.stop()
        if args.sim:
            started = time.perf_counter()
            add_vectors(os.path.join(data, "webui.db"), rng)
            print(f"added {args.chunks} vectors in {time.perf_counter() - started:.1f} s")
            sim, sim_url = start_sim(args.sim)
            try:
                agent = Agent(args.agent, data, {"RAG_EMBEDDING_MODEL": EMBEDDING_MODEL, "OPENROUTER_BASE_URL": sim_url,
                                                 "OPENROUTER_API_KEY": "sk-or-v1-bench-rag"})
                agent.sign_in()
                latency(agent, collection, args.queries, rng, mode="hybrid")
                agent.stop()
            finally:
                sim.terminate()
                sim.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
