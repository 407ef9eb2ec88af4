"""Issue 21 ("Trust") for the playground server: what one request may allocate is capped and
named, the server's memory stays bounded over many trainings, hostile text and JSON get one
line, and a malformed HTTP request gets the server's own one-line JSON refusal."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from lstmlab.server import runs as server_runs
from lstmlab.server import settings as server_settings
from lstmlab.server.app import create_app
from lstmlab.server.runs import Runs
from lstmlab.settings.config import load_config
from tests.playground_server import served

URL = "http://127.0.0.1:8000"
MIB = 2**20


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("models"), "127.0.0.1", 8000)
    with TestClient(app, base_url=URL, raise_server_exceptions=False) as client:
        yield client


def one_line(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert list(body) == ["error"] and "\n" not in body["error"] and "Traceback" not in body["error"]
    return body["error"]


def post_raw(client, path: str, raw: str):
    return client.post(path, content=raw.encode("utf-8", "surrogatepass"), headers={"content-type": "application/json"})


# --- item 2: what one request may allocate ----------------------------------------------------

CAP_MIB = server_settings.MAX_MEMORY_BYTES // MIB


def test_an_alphabet_over_the_cap_is_refused_by_name(client):
    text = "".join(chr(0x4E00 + k) for k in range(server_settings.MAX_ALPHABET + 1)) * 2
    line = one_line(client.post("/api/runs", json={"text": text, "settings": {"epochs": 1}}), 400)
    assert line == (
        f"alphabet size {server_settings.MAX_ALPHABET + 1:,} is over the playground's cap of "
        f"{server_settings.MAX_ALPHABET:,} symbols; give a text with fewer distinct symbols, or use `lstmlab run`"
    )


def test_seeds_over_the_cap_are_refused_by_name(client):
    count = server_settings.MAX_SEEDS + 1
    line = one_line(client.post("/api/runs", json={"seeds": count, "settings": {"epochs": 1}}), 400)
    assert line == f"seeds {count:,} is over the playground's cap of {server_settings.MAX_SEEDS:,}; use `lstmlab run`"


def test_a_one_hot_text_that_needs_too_much_memory_is_refused_naming_the_cap(client):
    # 900 distinct symbols (under the alphabet's cap), 20,000 windows of 3 one-hot steps
    text = ("".join(chr(0x4E00 + k) for k in range(900)) * 23)[:20_000]
    line = one_line(client.post("/api/runs", json={"text": text, "settings": {"epochs": 1}}), 400)
    match = re.fullmatch(
        r"this training needs about ([\d,]+) MiB of memory \(19,997 samples × 3 steps × 900 features\); "
        rf"the playground's cap is {CAP_MIB:,} MiB; give a shorter text with fewer distinct symbols, "
        r"or scalar encoding, or use `lstmlab run`",
        line,
    )
    assert match and int(match[1].replace(",", "")) > CAP_MIB, line


def test_many_seeds_of_a_big_model_are_refused_naming_the_cap(client):
    body = {"seeds": 200, "settings": {"epochs": 1, "units": 256}}
    line = one_line(client.post("/api/runs", json=body), 400)
    match = re.fullmatch(
        rf"this training needs about ([\d,]+) MiB of memory \(200 seeds × 256 units\); the playground's cap is "
        rf"{CAP_MIB:,} MiB; use fewer seeds or units, or use `lstmlab run`",
        line,
    )
    assert match and int(match[1].replace(",", "")) > CAP_MIB, line


def test_the_estimate_grows_with_every_part_and_the_tutorial_fits():
    base = load_config("timesteps")
    small = server_settings.memory_bytes(base, 23, 1)
    assert sum(small) < 4 * MIB
    for config, samples, seeds in ((base, 23, 10), (base.replace(units=64), 23, 1), (base.replace(epochs=9000), 23, 1)):
        assert sum(server_settings.memory_bytes(config, samples, seeds)) > sum(small)
    onehot = base.replace(encoding="onehot")
    assert server_settings.memory_bytes(onehot, 23, 1)[0] > server_settings.memory_bytes(base, 23, 1)[0]
    # what the docs show the playground doing stays allowed
    server_settings.check_work(base.replace(epochs=300, units=16), 23, 100)


def fake_models(run, on_progress):
    return {"seeds": [{"accuracy": 1.0}], "timing": {}}, []


def test_the_runs_kept_are_bounded_by_their_memory_too(monkeypatch):
    monkeypatch.setattr(server_runs, "KEPT_BYTES", 1)  # every run is over it: only the newest stays
    runs = Runs(fake_models)
    done = []
    for _ in range(3):
        run = runs.submit(load_config("timesteps", epochs=2), None)
        runs.watch(run)
        wait_for(lambda run=run: run.status == "done")
        assert run.dataset is None  # the training's data is let go once it has trained
        done.append(run.id)
    runs.get(done[-1])
    for forgotten in done[:-1]:
        with pytest.raises(server_runs.Refused, match=f"unknown run '{forgotten}'"):
            runs.get(forgotten)
    runs.close()


def test_jaxs_compiled_programs_are_let_go_after_a_few_shapes(monkeypatch):
    import jax

    cleared = []
    monkeypatch.setattr(jax, "clear_caches", lambda: cleared.append(len(server_runs._compiled_for)))
    monkeypatch.setattr(server_runs, "_compiled_for", set())
    for units in [1, 2, 1, *range(2, 2 + 2 * server_runs.KEPT_PROGRAMS)]:
        server_runs.forget_programs(load_config("timesteps", units=units))
    assert cleared == [server_runs.KEPT_PROGRAMS + 1]  # the same settings again count once


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


# The trainings the memory test runs: small and of many shapes, so that a compiled program is
# made for most of them; then the two requests the review measured (1.7 GB and 0.8 GB today).
VARIED = [
    {"settings": {"epochs": 2, "units": units, "cell": cell}, "seeds": seeds}
    for units, cell, seeds in ((2, "lstm", 1), (3, "gru", 2), (5, "rnn", 1), (7, "lstm", 3))
] + [
    {"text": "the cat sat on the mat " * 4, "settings": {"epochs": 2, "units": 4}},
    {"experiment": "features", "settings": {"epochs": 2, "units": 6}},
    {"experiment": "variable-length", "settings": {"epochs": 1, "units": 4, "num_patterns": 50}},
]
HOSTILE = [
    {"text": ("".join(chr(0x4E00 + k) for k in range(900)) * 23)[:20_000], "settings": {"epochs": 1}},
    {"seeds": 200, "settings": {"epochs": 1, "units": 256}},
]
# XLA's compiler and a dozen small kept programs and runs: the trainings themselves need a few
# MiB each. Today each hostile request alone adds 0.8 to 1.7 GB.
# Measured on 2 cores: 100 MiB peak and kept for these seven.
PEAK_GROWTH = 300 * MIB
KEPT_GROWTH = 200 * MIB


@pytest.mark.slow  # a server of its own, and a program compiled for each shape: about a minute alone
def test_the_servers_memory_stays_bounded_over_many_trainings(tmp_path):
    import httpx2 as httpx

    env = {**os.environ, "LSTMLAB_LANG": "en"}
    command = [sys.executable, "-c", "from lstmlab.cli.app import app; app()", "serve", "--port", "0"]
    server = subprocess.Popen([*command, "--models", str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline())[0].rstrip("/")

        def train(body) -> int:
            started = httpx.post(f"{url}/api/runs", json=body, timeout=60)
            if started.status_code == 202:
                httpx.get(f"{url}{started.json()['events']}", timeout=120)
            return started.status_code

        assert train(VARIED[0]) == 202  # JAX loaded and a first program compiled: the baseline
        before = memory_of(server.pid)["VmRSS"]
        with open(f"/proc/{server.pid}/clear_refs", "w") as refs:
            refs.write("5")  # the peak (VmHWM) counts from here
        statuses = [train(body) for body in HOSTILE + VARIED[1:] + HOSTILE]
        assert statuses == [400, 400] + [202] * (len(VARIED) - 1) + [400, 400]
        after = memory_of(server.pid)
        growth = (after["VmHWM"] - before) // MIB, (after["VmRSS"] - before) // MIB
        print(f"memory growth over the trainings: peak {growth[0]} MiB, kept {growth[1]} MiB")
        assert growth[0] * MIB < PEAK_GROWTH and growth[1] * MIB < KEPT_GROWTH, growth
    finally:
        server.terminate()
        server.wait(20)
        server.stdout.close()


# --- item 3: hostile text and JSON ------------------------------------------------------------

TEXT_REFUSALS = [
    ('{"text": "ab\\ud800ab"}',
     "'text' is not valid text: position 2 holds U+D800, which is not a character; give UTF-8 text"),
    ('{"settings": {"alphabet": "ab\\udfffcd"}}',
     "'settings.alphabet' is not valid text: position 2 holds U+DFFF, which is not a character; give UTF-8 text"),
    ('{"experiment": "\\ud83d"}',
     "'experiment' is not valid text: position 0 holds U+D83D, which is not a character; give UTF-8 text"),
    ('{"text": "abc\\u0000abc"}',
     "'text' holds the control character U+0000 at position 3; a request's text may hold tabs and line breaks, "
     "no other control characters"),
    ('{"seeds": "1\\u001b[2J"}',
     "'seeds' holds the control character U+001B at position 1; a request's text may hold tabs and line breaks, "
     "no other control characters"),
    ('{"\\ud800": 1}',
     "a field name is not valid text: position 0 holds U+D800, which is not a character; give UTF-8 text"),
    ('{"experiment": "' + "x" * 201 + '"}', "'experiment' has 201 symbols; allowed: up to 200"),
    ('{"settings": {"epochs": 1' + "0" * 40 + "}}",
     "the request holds a number of 41 digits; allowed: up to 30 digits"),
    ('{"settings": {"learning_rate": NaN}}', "the request holds NaN, which is not a number JSON allows"),
    ('{"settings": {"learning_rate": -Infinity}}', "the request holds -Infinity, which is not a number JSON allows"),
    ('{"settings": {"learning_rate": 1e400}}', "the request holds the number 1e400, which is too large to be a number"),
    ("[" * 40 + "]" * 40, "the request body nests 40 levels deep; allowed: up to 32"),
    ('{"settings": ' + '{"a": ' * 40 + "1" + "}" * 41, "the request body nests 41 levels deep; allowed: up to 32"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "line"), TEXT_REFUSALS)
def test_hostile_text_and_json_are_refused_in_one_line(client, raw, line):
    assert one_line(post_raw(client, "/api/runs", raw), 413 if "symbols;" in line else 400) == line


@pytest.mark.parametrize("path", ["/api/predict", "/api/inspect", "/api/generate", "/api/models"])
def test_every_post_endpoint_refuses_a_lone_surrogate(client, path):
    raw = '{"run": "r1\\ud800", "model": "m", "text": "a", "name": "n"}'
    line = one_line(post_raw(client, path, raw), 400)
    assert line == "'run' is not valid text: position 2 holds U+D800, which is not a character; give UTF-8 text"


# --- item 3: malformed HTTP, through a real socket --------------------------------------------


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    return reply


def refusal_of(reply: bytes) -> tuple[int, str]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert headers["content-type"] == "application/json", reply
    assert int(headers["content-length"]) == len(body), reply
    document = json.loads(body)
    assert list(document) == ["error"] and "\n" not in document["error"]
    return int(lines[0].split()[1]), document["error"]


MALFORMED = "the request is not valid HTTP/1.1 ({reason}); the playground answers well-formed requests only"


def malformed_cases(port: int) -> list[tuple[bytes, int, str]]:
    host = f"127.0.0.1:{port}".encode()
    post = b"POST /api/runs HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\nConnection: close\r\n"
    return [
        (b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nHost: " + host + b"\r\n\r\n", 400,
         MALFORMED.format(reason="Found multiple Host: headers")),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400,
         MALFORMED.format(reason="Missing mandatory Host: header")),
        (post + b"Content-Length: abc\r\n\r\n{}", 400, MALFORMED.format(reason="bad Content-Length")),
        (post + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400,
         MALFORMED.format(reason="conflicting Content-Length headers")),
        (post + b"Content-Length: -1\r\n\r\n{}", 400, MALFORMED.format(reason="bad Content-Length")),
        (b"HELLO\r\n\r\n", 400, MALFORMED.format(reason="illegal request line")),
        (b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nbogus\r\n\r\n", 400,
         MALFORMED.format(reason="illegal header line")),
        # these reach the app: HTTP/1.0 may leave out Host or repeat it, and the Host's own form
        (b"GET /api/models HTTP/1.0\r\n\r\n", 400, f"the request has no Host header; open http://{host.decode()}/"),
        (b"GET /api/models HTTP/1.0\r\nHost: " + host + b"\r\nHost: evil.example\r\n\r\n", 400,
         MALFORMED.format(reason="Found multiple Host: headers")),
        (b"GET /api/models HTTP/1.1\r\nHost: " + host + b"@evil\r\nConnection: close\r\n\r\n", 400,
         f"Host '{host.decode()}@evil' is not a host name with an optional port (such as {host.decode()}); "
         f"open http://{host.decode()}/"),
        (b"GET /api/models HTTP/1.1\r\nHost: 127.0.0.1:99999\r\nConnection: close\r\n\r\n", 400,
         f"Host '127.0.0.1:99999' is not a host name with an optional port (such as {host.decode()}); "
         f"open http://{host.decode()}/"),
        (b"GET /api/models HTTP/1.1\r\nHost: 127.0.0.1:abc\r\nConnection: close\r\n\r\n", 400,
         f"Host '127.0.0.1:abc' is not a host name with an optional port (such as {host.decode()}); "
         f"open http://{host.decode()}/"),
    ]  # fmt: skip


def test_a_malformed_http_request_gets_the_servers_own_one_line_json(tmp_path, caplog):
    import httpx2 as httpx

    with served(tmp_path) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        answers = [
            (refusal_of(raw_request(port, data)), (status, line)) for data, status, line in malformed_cases(port)
        ]
        assert [(got, expected) for got, expected in answers if got != expected] == []
        assert httpx.get(f"{url}/api/models").status_code == 200  # and it goes on serving
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


def test_a_host_with_userinfo_or_a_bad_port_is_refused_through_the_app(client):
    for host in ("127.0.0.1:8000@evil.example", "127.0.0.1:0", "127.0.0.1:", "[::1", "127.0.0.1 :8000"):
        line = one_line(client.get("/api/models", headers={"host": host}), 400)
        assert line.startswith(f"Host {host!r} is not a host name with an optional port"), line
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "LOCALHOST:1"):
        assert client.get("/api/models", headers={"host": host}).status_code == 200
    twice = [("host", "127.0.0.1:8000"), ("host", "evil.example")]
    assert one_line(client.get("/api/models", headers=twice), 400) == "the request has 2 Host headers; send one"


# --- fuzz: a random hostile request body -----------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["\ud800", "a\x00b", "r1", "abc", "timesteps", "1-3", "K" * 250, "../x", "\u202e"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["run", "model", "seed", "text", "top", "start", "steps", "warmup", "name", "experiment", "settings", "seeds"]
SETTING_NAMES = ["epochs", "units", "seeds", "alphabet", "cell", "seq_length", "batch_size", "learning_rate", "shuffle"]
SETTINGS = st.dictionaries(st.sampled_from(SETTING_NAMES), VALUES | st.integers(min_value=10**6, max_value=10**12))
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), VALUES | SETTINGS, max_size=5),
    VALUES,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/api/runs", "/api/predict", "/api/inspect", "/api/generate", "/api/models"]), body=BODIES)
def test_a_random_hostile_body_gets_a_4xx_line_never_a_500(client, path, body):
    if path == "/api/runs" and isinstance(body, dict) and isinstance(body.get("settings", {}), dict):
        body = {**body, "settings": {**body.get("settings", {}), "epochs": 10**9}}  # nothing trains: over the caps
    raw = json.dumps(body).encode("utf-8", "surrogatepass")
    answer = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        one_line(answer, answer.status_code)
