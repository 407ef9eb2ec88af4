import fcntl
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.model.persist import save
from tests.untrained import untrained


@pytest.fixture(scope="session")
def compile_cache(request, tmp_path_factory) -> Path:
    """The one compile cache of the tests (XLA's cache and lstmlab's kept programs), in pytest's
    cache folder, so that the next `pytest` compiles only what changed: kept programs are keyed
    by lstmlab's whole source, XLA's by the program itself. `pytest --cache-clear`, or
    `-p no:cacheprovider`, starts from an empty one. Tests of the cache use folders of their own."""
    if getattr(request.config, "cache", None) is None:
        return tmp_path_factory.getbasetemp() / "jax-cache"
    folder = request.config.cache.mkdir("lstmlab-compile-cache")
    if request.config.getoption("cacheclear"):  # pytest clears its cache before this: nothing to keep
        return folder
    _forget_programs_of_other_sources(folder)
    return folder


def _forget_programs_of_other_sources(folder: Path) -> None:
    """Kept programs of an edited source are never read again: drop them, so that the folder
    does not grow with every edit. Under a lock: several test processes may start at once."""
    from lstmlab.engine.programs import source_digest

    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = folder / "programs-source"
        if not marker.exists() or marker.read_text() != source_digest():
            shutil.rmtree(folder / "programs", ignore_errors=True)
            marker.write_text(source_digest())


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch, compile_cache):
    """Point every user directory lstmlab writes to at a temporary folder, but the compile
    cache, which all tests share (`compile_cache`)."""
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(compile_cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LSTMLAB_LANG", "en")  # the outputs tests expect, whatever the machine's LANG


@pytest.fixture(scope="session")
def command_outputs(tmp_path_factory, compile_cache) -> tuple[dict[str, list[dict]], Path]:
    """Every command's --json, the branches that add fields included (holdout, many seeds,
    stateful, saved, heatmap), and a report's results.json; by document kind."""
    root = tmp_path_factory.mktemp("json")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LSTMLAB_CACHE_DIR", str(compile_cache))
        commands = [
            ["list"],
            ["run", "naive", "--epochs", "2", "--holdout", "0.2", "--seeds", "2"],
            ["run", "stateful", "--epochs", "2", "--units", "4", "--save", root / "m"],
            ["predict", root / "m", "AB"],
            ["generate", root / "m", "--start", "A", "--steps", "2", "--warmup", "B"],
            ["inspect", root / "m", "AB"],
            ["inspect", root / "m", "AB", "--out", root / "gates.png"],
            *(["inspect", root / cell, "ABC"] for cell in ("lstm-1997", "gru", "rnn")),  # saved below
            ["reproduce", "--seeds", "2", "--epochs", "1", "--experiments", "naive", "--out", root / "report"],
            ["run", "long-lag", "--lag", "4", "--seeds", "2", "--budget", "400", "--forget-bias", "5"],
            ["run", "adding", "--lag", "10", "--budget", "100", "--check-every", "50", "--cell", "rnn"],
            ["compare", "long-lag", "--cells", "lstm:5,rnn", "--lags", "3", "--seeds", "2", "--budget", "200"]
            + ["--out", root / "compare"],
            ["gradients", "long-lag", "--cell", "gru", "--lag", "3", "--seeds", "2", "--budget", "100"]
            + ["--out", root / "gradients.png"],
            ["run", "naive", "--epochs", "2", "--holdout", "0.2", "--seeds", "3", "--group", "2"]
            + ["--out", root / "run-sweep"],
            ["run", "stateful", "--epochs", "2", "--units", "4", "--out", root / "stateful-sweep"],
            ["run", "long-lag", "--lag", "4", "--seeds", "2", "--budget", "400", "--out", root / "task-sweep"],
        ]
        for cell in ("lstm-1997", "gru", "rnn"):  # untrained: what matters here is each cell's inspect
            save(root / cell, untrained("timesteps", cell=cell, units=3))
        documents: dict[str, list[dict]] = {}
        for command in commands:
            result = runner.invoke(app, [*map(str, command), "--json"])
            assert result.exit_code == 0, (command, result.output)
            document = json.loads(result.stdout)
            documents.setdefault(document["kind"], []).append(document)
    documents["reproduction"].append(json.loads((root / "report" / "results.json").read_text(encoding="utf-8")))
    # compare's folder keeps the sweep's record and each job's result; so do run --out's
    runs = ("run-sweep", "stateful-sweep", "task-sweep")
    documents["sweep"] = [json.loads((root / f / "sweep.json").read_text(encoding="utf-8")) for f in ("compare", *runs)]
    jobs = (("compare-job", "compare"), ("reproduce-job", "report"), ("run-job", "run-sweep"))
    jobs += (("run-job", "stateful-sweep"), ("task-run-job", "task-sweep"))
    for kind, folder in jobs:
        found = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / folder).glob("jobs/*.json"))]
        documents.setdefault(kind, []).extend(found)
    return documents, root
