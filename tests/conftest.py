import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab.cli import app


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Point every user directory lstmlab writes to at a temporary folder.

    The compile cache is shared by the whole session (one folder), so tests still gain from it.
    """
    cache = tmp_path_factory.getbasetemp() / "jax-cache"
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture(scope="session")
def command_outputs(tmp_path_factory) -> tuple[dict[str, list[dict]], Path]:
    """Every command's --json, the branches that add fields included (holdout, many seeds,
    stateful, saved, heatmap), and a report's results.json; by document kind."""
    root = tmp_path_factory.mktemp("json")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LSTMLAB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "jax-cache"))
        commands = [
            ["list"],
            ["run", "naive", "--epochs", "2", "--holdout", "0.2", "--seeds", "2"],
            ["run", "stateful", "--epochs", "2", "--units", "4", "--save", root / "m"],
            ["predict", root / "m", "AB"],
            ["generate", root / "m", "--start", "A", "--steps", "2", "--warmup", "B"],
            ["inspect", root / "m", "AB"],
            ["inspect", root / "m", "AB", "--out", root / "gates.png"],
            ["run", "timesteps", "--epochs", "1", "--units", "3", "--cell", "lstm-1997", "--save", root / "lstm-1997"],
            ["inspect", root / "lstm-1997", "ABC"],
            ["run", "timesteps", "--epochs", "1", "--units", "3", "--cell", "gru", "--save", root / "gru"],
            ["inspect", root / "gru", "ABC"],
            ["run", "timesteps", "--epochs", "1", "--units", "3", "--cell", "rnn", "--save", root / "rnn"],
            ["inspect", root / "rnn", "ABC"],
            ["reproduce", "--seeds", "2", "--epochs", "1", "--experiments", "naive", "--out", root / "report"],
            ["run", "long-lag", "--lag", "4", "--seeds", "2", "--budget", "400", "--forget-bias", "5"],
            ["run", "adding", "--lag", "10", "--budget", "100", "--check-every", "50", "--cell", "rnn"],
            ["compare", "long-lag", "--cells", "lstm:5,rnn", "--lags", "3,5", "--seeds", "2", "--budget", "200"]
            + ["--out", root / "compare"],
            ["gradients", "adding", "--cell", "gru", "--lag", "10", "--seeds", "2", "--budget", "100"]
            + ["--out", root / "gradients.png"],
        ]
        documents: dict[str, list[dict]] = {}
        for command in commands:
            result = runner.invoke(app, [*map(str, command), "--json"])
            assert result.exit_code == 0, (command, result.output)
            document = json.loads(result.stdout)
            documents.setdefault(document["kind"], []).append(document)
    documents["reproduction"].append(json.loads((root / "report" / "results.json").read_text(encoding="utf-8")))
    return documents, root
