"""`lstmlab reproduce`: a small run end to end, the report's files, and mistakes refused
before anything is trained or written."""

import base64
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.errors import ConfigError
from lstmlab.render.text import COLUMNS, percent
from lstmlab.results.reproduction import REPORT_FILES, plan, write_folder

EXPERIMENTS = ("naive", "batch-state", "variable-length")  # windows, one full batch, 1000 random runs
SEEDS = 3
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory, compile_cache):
    """One small reproduce for the whole module: 3 seeds, 2 epochs, three experiments."""
    base = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as mp:  # the autouse fixture is per test; this runs once
        mp.setenv("LSTMLAB_CACHE_DIR", str(compile_cache))
        mp.setenv("XDG_CACHE_HOME", str(base / "xdg-cache"))
        mp.setenv("COLUMNS", "100")
        out = tmp_path_factory.mktemp("reproduce") / "report"
        args = ["reproduce", "--seeds", str(SEEDS), "--epochs", "2", "--experiments", ",".join(EXPERIMENTS)]
        result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_report_files_exist(report):
    out, _ = report
    for name in REPORT_FILES:
        assert (out / name).is_file()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    expected = ["overview.png"] + [f"{e}-{kind}.png" for e in EXPERIMENTS for kind in ("accuracy", "curves")]
    assert figures == sorted(expected)
    for path in (out / "figures").iterdir():
        assert path.read_bytes().startswith(PNG)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


class Sources(HTMLParser):
    """Every attribute that could make a browser fetch something."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action"):
                self.links.append((tag, name, value or ""))


def test_html_is_self_contained(report):
    out, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    parser = Sources()
    parser.feed(page)
    assert len(parser.links) == 1 + 2 * len(EXPERIMENTS)
    assert all(tag == "img" and name == "src" for tag, name, _ in parser.links)
    assert all(value.startswith("data:image/png;base64,") for _, _, value in parser.links)
    assert "url(" not in page and "<script" not in page and "<link" not in page
    # the embedded pictures are the figure files
    embedded = {base64.b64decode(value.split(",", 1)[1]) for _, _, value in parser.links}
    assert embedded == {p.read_bytes() for p in (out / "figures").iterdir()}


def test_markdown_links_the_figures_and_starts_with_the_table(report):
    out, _ = report
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "| " + " | ".join(COLUMNS.values()) + " |" in text
    for link in [line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]:
        assert (out / link).is_file()


def test_results_json_matches_what_was_printed(report):
    out, result = report
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert document["seeds"] == list(range(1, SEEDS + 1))
    assert [e["experiment"] for e in document["experiments"]] == list(EXPERIMENTS)
    rows = [line.split() for line in result.stdout.splitlines()]
    printed = {cells[0]: cells for cells in rows if cells and cells[0] in EXPERIMENTS}
    for entry in document["experiments"]:
        accuracies = [s["accuracy"] for s in entry["per_seed"]]
        assert [s["seed"] for s in entry["per_seed"]] == document["seeds"]
        summary = entry["statistics"]["summary"]
        assert summary["median"] == pytest.approx(float(np.median(accuracies)))
        assert summary["perfect"] == sum(a == 1.0 for a in accuracies)
        # the terminal table shows these very numbers
        cells = printed[entry["experiment"]]
        assert cells[1] == f"{entry['tutorial_accuracy'] * 100:.2f}%"
        assert cells[2] == percent(summary["median"])
        assert cells[3] == f"{percent(min(accuracies))}–{percent(max(accuracies))}"
        assert cells[4] == f"{summary['std'] * 100:.2f}"
        perfect = f"{summary['perfect']}/{summary['seeds']} ({summary['perfect_share'] * 100:.0f}%)"
        assert " ".join(cells[5:7]) == perfect and cells[7] == f"{entry['train_seconds']:.1f}"
        assert len(entry["curves"]["loss"]["median"]) == 2 == entry["settings"]["epochs"]


def test_variable_length_patterns_are_counted_once_each(report):
    out, _ = report
    entry = json.loads((out / "results.json").read_text(encoding="utf-8"))["experiments"][-1]
    patterns = entry["statistics"]["patterns"]
    assert sum(p["occurrences"] for p in patterns) == entry["train_patterns"] == 1000
    assert len({(p["input"], p["target"]) for p in patterns}) == len(patterns)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seeds", "0"], "must be positive"),
        (["--seeds", "1,x"], "is not a seed"),
        (["--out", "{tmp}/missing/report"], "does not exist"),
        (["--out", "{tmp}/a-file"], "is a file"),
        (["--out", "{tmp}/foreign"], "not an lstmlab report"),
        (["--out", "{tmp}/a-file/report"], "a-file' is a file, not a folder"),
        (["--experiments", "naive,nope"], "unknown experiment 'nope'"),
        (["--experiments", "naive,naive"], "twice"),
        (["--epochs", "0"], "epochs must be a positive whole number"),
        (["--epochs", "2", "--epochs-scale", "0.5"], "not both"),
        (["--epochs-scale", "0"], "must be positive"),
        (["--epochs-scale", "inf"], "--epochs-scale must be positive and finite, got inf"),
        (["--epochs-scale", "nan"], "--epochs-scale must be positive and finite, got nan"),
    ],
)
def test_mistakes_are_one_line_exit_2_and_write_nothing(tmp_path, args, message):
    (tmp_path / "a-file").write_text("keep me")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("keep me")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "report")]
    result = CliRunner().invoke(app, ["reproduce", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


FILES = {"report.md": b"# new\n", "report.html": b"<p>new</p>\n", "results.json": b"{}\n", "figures/a.png": PNG}


def test_a_previous_report_is_replaced_whole(tmp_path):
    out = tmp_path / "report"
    write_folder(out, {**FILES, "figures/old.png": PNG})
    write_folder(out, FILES)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == sorted([*FILES, "figures"])
    assert (out / "report.md").read_bytes() == b"# new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert oct(out.stat().st_mode & 0o777) == oct(0o755)


def test_a_report_beside_the_users_own_files_is_not_replaced(tmp_path):
    out = tmp_path / "report"
    write_folder(out, FILES)
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match=r"holds files that are not an lstmlab report \(.*notes.txt"):
        write_folder(out, FILES)
    assert (out / "notes.txt").read_text() == "keep me" and (out / "report.md").read_bytes() == b"# new\n"


@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_while_writing_leaves_the_folder_as_it_was(tmp_path, monkeypatch, existing):
    out = tmp_path / "report"
    if existing:
        write_folder(out, {**FILES, "report.md": b"# old\n"})

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "chmod", interrupted)  # the last step before the folder moves into place
    with pytest.raises(KeyboardInterrupt):
        write_folder(out, FILES)
    assert [p.name for p in tmp_path.iterdir()] == (["report"] if existing else [])
    if existing:
        assert (out / "report.md").read_bytes() == b"# old\n"


def test_reproduce_help_names_epochs_scale():  # its examples: tests/test_cli.py, as every command's
    result = CliRunner().invoke(app, ["reproduce", "--help"])
    assert result.exit_code == 0 and "--epochs-scale" in result.stdout


def test_paths_in_report_are_relative(report):
    out, _ = report
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for entry in document["experiments"]:
        for relative in entry["figures"].values():
            assert not Path(relative).is_absolute() and (out / relative).is_file()


def test_reproduce_with_another_cell_changes_every_experiments_cell():
    configs = plan("naive,stateful", cell="lstm-1997")
    assert [(c.experiment, c.cell) for c in configs] == [("naive", "lstm-1997"), ("stateful", "lstm-1997")]
    assert [c.forget_bias for c in plan("naive", forget_bias=5.0)] == [5.0]
    with pytest.raises(ConfigError, match="cell 'gru' has no forget gate"):
        plan("naive", cell="gru", forget_bias=5.0)
