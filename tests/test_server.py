"""The playground's API through Starlette's test client: every endpoint serves the document the
command line prints with --json, and every refusal is a 4xx with one line. The stream closed by
its page, and `lstmlab serve` itself, go through a real socket."""

import json
import os
import socket
import time

import numpy as np
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from lstmlab.cli.app import app as cli
from lstmlab.engine.training import EpochMetrics
from lstmlab.results.catalogue import experiment_list
from lstmlab.server import runs as server_runs
from lstmlab.server import settings as server_settings
from lstmlab.server.app import create_app
from lstmlab.server.guard import MAX_BODY_BYTES, Refused
from lstmlab.server.runs import Runs
from lstmlab.settings.config import load_config
from tests.playground_server import served

URL = "http://127.0.0.1:8000"
EPOCHS = 5  # quick: these tests check the plumbing, not what a model learns


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def client(models):
    with TestClient(create_app(models, "127.0.0.1", 8000), base_url=URL) as client:
        yield client


def events_of(text: str) -> list[tuple[str, dict]]:
    """Server-sent events as (name, data)."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def train(client, body: dict) -> tuple[str, list[tuple[str, dict]]]:
    started = client.post("/api/runs", json=body)
    assert started.status_code == 202, started.text
    run = started.json()["run"]
    stream = client.get(f"/api/runs/{run}/events")
    assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
    return run, events_of(stream.text)


@pytest.fixture(scope="module")
def trained(client, models):
    """One `timesteps` run, saved as models/abc, and the same run by the command line."""
    run, events = train(client, {"experiment": "timesteps", "settings": {"epochs": EPOCHS}})
    assert client.post("/api/models", json={"run": run, "name": "abc"}).status_code == 201
    return run, events


def cli_json(*args) -> dict:
    result = CliRunner().invoke(cli, [*map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- every endpoint ------------------------------------------------------------------------


def test_the_page_and_its_files(client):
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/app.js">' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    for name in ("app.js", "draw.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_experiments_are_the_list_document(client):
    served = client.get("/api/experiments").json()
    assert served == experiment_list().to_json() == cli_json("list")


def test_playground_describes_the_form(client, models):
    described = client.get("/api/playground").json()
    assert described["choices"]["cell"] == ["lstm", "lstm-1997", "gru", "rnn"]
    assert described["nullable"] == ["sequence", "batch_size"]
    assert described["limits"]["work"] == server_settings.MAX_WORK
    assert described["models_folder"] == str(models)


def test_a_run_streams_its_progress_and_serves_the_cli_document(client, trained, models):
    run, events = trained
    names = [name for name, _ in events]
    assert names == ["queued", "started"] + ["progress"] * EPOCHS + ["done"]
    assert events[0][1] == {"run": run, "ahead": 0, "epochs": EPOCHS, "work": EPOCHS * 23}
    progress = [data for name, data in events if name == "progress"]
    assert [p["epochs_done"] for p in progress] == list(range(1, EPOCHS + 1))
    document = client.get(f"/api/runs/{run}").json()
    assert [p["loss"][0] for p in progress] == list(document["seeds"][0]["history"]["loss"])
    assert document["command"] == ["lstmlab", "run", "timesteps", "--epochs", str(EPOCHS)]
    expected = cli_json("run", "timesteps", "--epochs", EPOCHS)
    for key in ("timing", "command", "versions"):
        document.pop(key), expected.pop(key)
    assert document == expected


def test_predict_inspect_generate_serve_the_cli_documents(client, trained, models):
    run, _ = trained
    for source in ({"run": run}, {"model": "abc"}):
        predicted = client.post("/api/predict", json={**source, "text": "KLM", "top": 5})
        assert predicted.json() == cli_json("predict", models / "abc", "KLM", "--top", 5)
        inspected = client.post("/api/inspect", json={**source, "text": "ABC"})
        assert inspected.json() == cli_json("inspect", models / "abc", "ABC")
        assert inspected.json()["panels"] == list("ifgoch")
        generated = client.post("/api/generate", json={**source, "start": "ABC", "steps": 4, "warmup": ""})
        assert generated.json() == cli_json("generate", models / "abc", "--start", "ABC", "--steps", 4)


def test_models_are_listed_and_saved(client, trained, models):
    run, _ = trained
    listing = client.get("/api/models").json()
    assert listing["kind"] == "models" and listing["folder"] == str(models)
    assert [(m["name"], m["seed"], m["settings"]["epochs"], m["error"]) for m in listing["models"]] == [
        ("abc", 7, EPOCHS, None)
    ]
    saved = client.post("/api/models", json={"run": run, "name": "abc", "seed": 7})  # replaces its own model
    assert saved.status_code == 201
    assert saved.json() == {"kind": "saved", "name": "abc", "folder": str(models / "abc"), "seed": 7}


def test_many_seeds_give_the_statistics_and_a_stateful_run_its_demonstrations(client):
    run, events = train(client, {"experiment": "naive", "settings": {"epochs": 2}, "seeds": "1-3"})
    document = client.get(f"/api/runs/{run}").json()
    assert [s["seed"] for s in document["seeds"]] == [1, 2, 3]
    assert document["statistics"]["summary"]["seeds"] == 3
    assert document["command"] == ["lstmlab", "run", "naive", "--epochs", "2", "--seeds", "3"]
    assert client.post("/api/predict", json={"run": run, "seed": 2, "text": "K"}).status_code == 200
    assert client.post("/api/predict", json={"run": run, "seed": 9, "text": "K"}).json() == {
        "error": f"run {run!r} trained no seed 9; its seeds: 1, 2, 3"
    }
    run, _ = train(client, {"experiment": "stateful", "settings": {"epochs": 2, "units": 4}})
    titles = [d["title"] for d in client.get(f"/api/runs/{run}").json()["demonstrations"]["generations"]]
    assert titles[1] == "New start: K, after a reset:"


def test_a_pasted_text_is_learned_with_its_own_alphabet(client):
    run, _ = train(client, {"experiment": "timesteps", "text": "abcabd", "settings": {"epochs": 1, "seq_length": 2}})
    document = client.get(f"/api/runs/{run}").json()
    assert document["settings"]["alphabet"] == "abcd" and document["settings"]["encoding"] == "onehot"
    assert document["command"][:5] == ["lstmlab", "run", "timesteps", "--sequence-file", "TEXT.txt"]


# --- every refusal -------------------------------------------------------------------------

CAP = f"{server_settings.MAX_WORK:,}"
UNKNOWN_RUN = "unknown run 'r999'; the playground keeps its 16 most recently used runs in memory"
ONE_SOURCE = "give 'run' (a run id) or 'model' (a saved model's name), one of the two"
NAME_RULE = (
    "is not allowed; use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(a plain name inside the models folder)"
)
REFUSALS = [
    # (method, path, JSON body, extra headers, status, error line)
    ("GET", "/", None, {"host": "evil.example:8000"}, 403,
     "Host 'evil.example:8000' is not allowed: the playground answers to IP addresses and localhost "
     "(another name could be DNS rebinding); open http://127.0.0.1:8000/"),
    ("POST", "/api/predict", {"run": "r1", "text": "KLM"}, {"origin": "http://evil.example"}, 403,
     "Origin 'http://evil.example' is not allowed: only the playground's own page (http://127.0.0.1:8000/) may post"),
    ("POST", "/api/runs", {}, {"origin": "null"}, 403,
     "Origin 'null' is not allowed: only the playground's own page (http://127.0.0.1:8000/) may post"),
    ("POST", "/api/runs", {}, {"sec-fetch-site": "cross-site"}, 403,
     "a cross-site request was refused: only the playground's own page (http://127.0.0.1:8000/) may post"),
    ("POST", "/api/runs", "epochs=5", {"content-type": "application/x-www-form-urlencoded"}, 415,
     "the request body must be JSON (Content-Type: application/json), got 'application/x-www-form-urlencoded'"),
    ("POST", "/api/runs", "x" * (MAX_BODY_BYTES + 1), {"content-type": "application/json"}, 413,
     f"the request body is too large ({MAX_BODY_BYTES + 1:,} bytes or more); allowed: up to {MAX_BODY_BYTES:,}"),
    ("POST", "/api/runs", "{nope", {"content-type": "application/json"}, 400,
     "the request body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("POST", "/api/runs", [1], {}, 400, "the request body must be a JSON object, got list"),
    ("POST", "/api/runs", {"epochs": 5}, {}, 400, "unknown field 'epochs'; allowed: experiment, settings, text, seeds"),
    ("POST", "/api/runs", {"experiment": "nope"}, {}, 400,
     "unknown experiment 'nope'; choose one of: naive, features, timesteps, batch-state, stateful, variable-length"),
    ("POST", "/api/runs", {"settings": {"epoch": 5}}, {}, 400, None),  # names the allowed settings
    ("POST", "/api/runs", {"settings": {"epochs": "many"}}, {}, 400,
     "setting 'epochs' must be a whole number, got 'many'"),
    ("POST", "/api/runs", {"settings": {"shuffle": 1}}, {}, 400, "setting 'shuffle' must be true or false, got 1"),
    ("POST", "/api/runs", {"settings": {"seq_length": 26}}, {}, 400,
     "window length 26 must be smaller than the alphabet's length 26 (allowed: 1..25)"),
    ("POST", "/api/runs", {"seeds": "0"}, {}, 400, "--seeds 0: the number of seeds must be positive"),
    ("POST", "/api/runs", {"seeds": True}, {}, 400,
     "'seeds' must be a count N, or text such as '1,5,9' or '3-10', got True"),
    ("POST", "/api/runs", {"experiment": "variable-length", "seeds": 100}, {}, 400,
     f"training work 50,000,000 (epochs 500 × samples 1,000 × seeds 100) is over the playground's cap of {CAP}; "
     "use fewer epochs or seeds, or `lstmlab run`"),
    ("POST", "/api/runs", {"settings": {"units": 1000}}, {}, 400,
     "units 1000 is over the playground's cap of 256; use `lstmlab run`"),
    ("POST", "/api/runs", {"text": "ab" * 10_001}, {}, 413, "'text' has 20,002 symbols; allowed: up to 20,000"),
    ("GET", "/api/runs/r999", None, {}, 404, UNKNOWN_RUN),
    ("GET", "/api/runs/r999/events", None, {}, 404, UNKNOWN_RUN),
    ("POST", "/api/predict", {"run": "r999", "text": "KLM"}, {}, 404, UNKNOWN_RUN),
    ("POST", "/api/predict", {"text": "KLM"}, {}, 400, ONE_SOURCE),
    ("POST", "/api/predict", {"run": "r1", "model": "abc", "text": "KLM"}, {}, 400, ONE_SOURCE),
    ("POST", "/api/predict", {"model": "abc"}, {}, 400, "the field 'text' is missing; give text (a JSON string)"),
    ("POST", "/api/predict", {"model": "abc", "text": 3}, {}, 400, "'text' must be text (a JSON string), got 3"),
    ("POST", "/api/predict", {"model": "abc", "text": "KL"}, {}, 400,
     "'KL' has 2 symbols; this model reads windows of exactly 3"),
    ("POST", "/api/predict", {"model": "abc", "text": "K1M"}, {}, 400, None),  # the alphabet's own line
    ("POST", "/api/predict", {"model": "abc", "text": "K" * 201}, {}, 413,
     "'text' has 201 symbols; allowed: up to 200"),
    ("POST", "/api/predict", {"model": "abc", "text": "KLM", "top": 0}, {}, 400,
     "'top' 0 is not allowed; allowed: 1..100"),
    ("POST", "/api/predict", {"model": "abc", "text": "KLM", "seed": 7}, {}, 400,
     "'seed' picks a model of a run; a saved model is one seed already"),
    ("POST", "/api/generate", {"model": "abc", "start": "ABC", "steps": 501}, {}, 400,
     "'steps' 501 is not allowed; allowed: 1..500"),
    ("POST", "/api/inspect", {"model": "nothing-here", "text": "ABC"}, {}, 404, None),
    ("POST", "/api/models", {"run": "r999", "name": "x"}, {}, 404, UNKNOWN_RUN),
    ("GET", "/api/nope", None, {}, 404, "no such page or API endpoint"),
    ("DELETE", "/api/models", None, {}, 405, "Method Not Allowed"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "line"), REFUSALS)
def test_every_refusal_is_one_line(client, trained, method, path, body, headers, status, line):
    options = {"headers": headers}
    if isinstance(body, str):
        options["content"] = body
    elif body is not None:
        options["json"] = body
    answer = client.request(method, path, **options)
    assert (answer.status_code, list(answer.json())) == (status, ["error"]), answer.text
    if line is not None:
        assert answer.json()["error"] == line
    assert "\n" not in answer.json()["error"] and "Traceback" not in answer.json()["error"]


@pytest.mark.parametrize(
    "name", ["../abc", "/etc", "a/b", ".hidden", "a..b", "x" * 65, "nämlich", "a b", "", "abc\x00"]
)
def test_model_names_are_plain_names(client, trained, name):
    asks = (("/api/predict", {"model": name, "text": "KLM"}), ("/api/models", {"run": trained[0], "name": name}))
    for path, body in asks:
        answer = client.post(path, json=body)
        assert answer.status_code == 400
        field = "model" if "model" in body else "name"
        nul = f"{field!r} holds the control character U+0000 at position 3; a request's text may hold tabs and line "
        expected = nul + "breaks, no other control characters" if "\x00" in name else f"model name {name!r} {NAME_RULE}"
        assert answer.json()["error"] == expected


def test_a_link_leading_out_of_the_models_folder_is_refused(client, trained, models, tmp_path):
    os.symlink(tmp_path, models / "outside")
    try:
        line = f"model 'outside' is a link that leads out of the models folder '{models}'"
        assert client.post("/api/predict", json={"model": "outside", "text": "KLM"}).json() == {"error": line}
        assert client.post("/api/models", json={"run": trained[0], "name": "outside"}).json() == {"error": line}
        assert list(tmp_path.iterdir()) == []
    finally:
        (models / "outside").unlink()


def test_saving_over_a_folder_that_is_not_a_model_is_refused(client, trained, models):
    (models / "notes").mkdir()
    (models / "notes" / "todo.txt").write_text("mine")
    answer = client.post("/api/models", json={"run": trained[0], "name": "notes"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"cannot save to '{models / 'notes'}': it holds files that are not")
    assert (models / "notes" / "todo.txt").read_text() == "mine"


def test_a_same_origin_post_and_a_cross_site_get_are_served(client, trained):
    body = {"model": "abc", "text": "KLM"}
    assert client.post("/api/predict", json=body, headers={"origin": URL}).status_code == 200
    assert client.get("/api/models", headers={"origin": "http://evil.example"}).status_code == 200
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200


# --- one training at a time, and none for a page that went away ----------------------------


def fake_training(run, on_progress):
    """Stands in for JAX: a chunk of 'epochs' every 10 ms until cancelled."""
    for done in range(1, 10_000):
        on_progress(done, EpochMetrics(np.array([[1.0]]), np.array([[0.5]])))
        time.sleep(0.01)
    raise AssertionError("never cancelled")


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_one_training_at_a_time_others_wait_or_get_429():
    runs = Runs(fake_training)
    config = load_config("timesteps", epochs=2)
    first, *waiting = [runs.submit(config, None) for _ in range(3)]
    for run in (first, *waiting):
        runs.watch(run)
    wait_for(lambda: first.status == "running")
    assert [run.events[0][1]["ahead"] for run in waiting] == [1, 2]
    with pytest.raises(Refused) as refused:
        runs.submit(config, None)
    assert refused.value.status == 429
    assert refused.value.message == (
        f"3 trainings are running or waiting ({first.id} (running), {waiting[0].id} (queued), "
        f"{waiting[1].id} (queued)); one trains at a time, try again when one ends"
    )
    runs.unwatch(first)  # its page went away
    wait_for(lambda: first.status == "cancelled" and waiting[0].status == "running")
    assert first.events[-1] == ("cancelled", {"run": first.id, "reason": "its page went away"})
    for run in waiting:
        runs.unwatch(run)
    wait_for(lambda: all(run.status == "cancelled" for run in waiting))
    runs.close()


def test_a_training_nobody_watches_is_dropped(monkeypatch):
    monkeypatch.setattr(server_runs, "UNWATCHED_SECONDS", 0.05)
    runs = Runs(fake_training)
    run = runs.submit(load_config("timesteps", epochs=2), None)
    wait_for(lambda: run.finished)
    assert run.status == "cancelled" and run.events[-1][0] == "cancelled"
    runs.close()


def test_a_stream_closed_by_its_page_cancels_the_training(tmp_path, caplog):
    import httpx2 as httpx

    with served(tmp_path) as (url, _):
        started = httpx.post(f"{url}/api/runs", json={"settings": {"epochs": 20_000}}).json()
        with httpx.stream("GET", f"{url}{started['events']}", timeout=60) as stream:
            lines = stream.iter_lines()
            while next(lines) != "event: progress":
                pass
        # the page went away after the first progress event: the next chunk of epochs stops it
        run = started["run"]
        cancelled = {"error": f"run {run!r} is cancelled (its page went away); train again"}
        wait_for(lambda: httpx.get(f"{url}/api/runs/{run}").json() == cancelled, 30)
        events = events_of(httpx.get(f"{url}/api/runs/{run}/events").text)
        assert events[-1] == ("cancelled", {"run": run, "reason": "its page went away"})
        assert events[-2][1]["epochs_done"] < 20_000
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


def test_a_client_gone_mid_request_is_no_error_in_the_log(tmp_path, caplog):
    import httpx2 as httpx

    with served(tmp_path) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                'Content-Length: 100\r\n\r\n{"model":'.encode()
            )
        time.sleep(0.3)
        assert httpx.get(f"{url}/api/models").status_code == 200  # still serving
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


# --- lstmlab serve -------------------------------------------------------------------------


def test_serve_prints_its_address_and_warns_when_others_can_reach_it(monkeypatch, tmp_path):
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: sockets[0].close())
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "0", "--models", tmp_path])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("lstmlab playground: http://127.0.0.1:")
    assert result.stderr == (
        "Warning: listening on 0.0.0.0, not only on this machine: anyone who can reach it can train here and "
        f"read and save models in '{tmp_path}'.\n"
    )
    loopback = CliRunner().invoke(cli, ["serve", "--port", "0", "--models", tmp_path])
    assert loopback.exit_code == 0 and loopback.stderr == ""


def test_serve_mistakes_are_one_line(tmp_path):
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    (tmp_path / "file").write_text("")
    cases = [
        (["--port", "70000"], "Error: port 70000 is not allowed; give 1..65535, or 0 for any free port\n"),
        (["--models", tmp_path / "file"], f"Error: --models '{tmp_path / 'file'}' is a file; give a folder (it is made "
         "when a model is saved)\n"),
        (["--port", port], f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --host "
         "or --port\n"),
    ]  # fmt: skip
    try:
        for args, line in cases:
            result = CliRunner().invoke(cli, ["serve", *map(str, args)])
            assert (result.exit_code, result.stderr) == (2, line)
    finally:
        taken.close()


def test_the_runs_kept_are_the_most_recently_used(monkeypatch):
    monkeypatch.setattr(server_runs, "KEPT_RUNS", 2)
    runs = Runs(lambda run, on_progress: ({"seeds": [{"accuracy": 1.0}], "timing": {}}, []))
    config = load_config("timesteps", epochs=2)
    kept = []
    for _ in range(4):
        run = runs.submit(config, None)
        runs.watch(run)
        wait_for(lambda run=run: run.status == "done")
        kept.append(run.id)
        runs.get(kept[0])  # the page still asks the first run's model
    runs.get(kept[0]), runs.get(kept[3])
    for forgotten in (kept[1], kept[2]):
        with pytest.raises(Refused, match=f"unknown run '{forgotten}'; the playground keeps its 2 most recently used"):
            runs.get(forgotten)
    runs.close()


def test_the_worker_survives_a_bug_and_says_so():
    def broken(run, on_progress):
        raise ZeroDivisionError("oops")

    runs = Runs(broken)
    for _ in range(2):  # the second training runs too: the worker lives on
        run = runs.submit(load_config("timesteps", epochs=2), None)
        runs.watch(run)
        wait_for(lambda run=run: run.finished)
        assert (run.status, run.events[-1]) == (
            "failed",
            ("error", {"run": run.id, "error": "training failed: ZeroDivisionError: oops"}),
        )
    runs.close()
