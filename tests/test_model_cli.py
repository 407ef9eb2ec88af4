"""Saved models on the command line: run --save, predict, generate, inspect; any alphabet or text."""

import json
import re
import shutil
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.engine.cell import cell_step, zero_state
from lstmlab.engine.network import readout, recurrent_params
from lstmlab.model.persist import load, save
from lstmlab.render.heatmap import figure_pixels
from tests.cli import invoke
from tests.readmes import READMES, output_block
from tests.test_inspection import png_size
from tests.untrained import CYRILLIC, untrained


@pytest.fixture(scope="module")
def models(tmp_path_factory, compile_cache) -> Path:
    """The tutorial's timesteps model, trained by `lstmlab run` at seed 7 and its settings, and
    untrained Cyrillic and stateful models; shared by every test here."""
    root = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as env:  # the autouse fixture is function-scoped; this one is not
        env.setenv("LSTMLAB_CACHE_DIR", str(compile_cache))
        result = invoke("run", "timesteps", "--save", root / "abc")
    assert result.exit_code == 0, result.output
    assert "Model Accuracy: 100.00%" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == f"Saved to {root / 'abc'}"
    save(root / "ru", untrained("timesteps", alphabet=CYRILLIC, encoding="onehot", units=8))
    save(root / "stateful", untrained("stateful", units=8))
    return root


@pytest.fixture(autouse=True)
def in_a_scratch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_generate_from_abc_spells_the_alphabet(models):
    result = invoke("generate", models / "abc", "--start", "ABC", "--steps", 23)
    assert result.exit_code == 0, result.output
    assert result.stdout == "ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"


def test_generate_json_and_warmup(models):
    result = invoke("generate", models / "abc", "--start", "C", "--steps", 3, "--warmup", "AB", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["sequence"] == "CDEF" and document["warmup"] == "AB"
    assert [s["input"] for s in document["steps"]] == ["ABC", "BCD", "CDE"]
    assert all(0 < s["probability"] <= 1 for s in document["steps"])


def test_predict_names_the_next_letter_and_its_alternatives(models):
    result = invoke("predict", models / "abc", "KLM", "--top", 4)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"KLM -> N  \(p = 0\.\d{4}\)", lines[0])
    assert len(lines) == 5 and re.fullmatch(r"  1\. N  0\.\d{4}", lines[1])
    document = json.loads(invoke("predict", models / "abc", "KLM", "--json").stdout)
    assert document["predicted"] == "N" and len(document["top"]) == 3
    probabilities = [t["probability"] for t in document["top"]]
    assert probabilities == sorted(probabilities, reverse=True) and document["probability"] == probabilities[0]


def test_inspect_prints_a_summary_and_draws_the_heatmap(models, tmp_path):
    result = invoke("inspect", models / "abc", "ABC", "--out", "gates.png")
    assert result.exit_code == 0, result.output
    assert re.match(r"ABC -> D  \(p = 0\.\d{4}\); 3 steps, 32 units", result.stdout)
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"\s+\d+\s", line)]
    assert [row[1] for row in rows] == ["A", "B", "C"]
    assert all(0 <= float(v) <= 1 for row in rows for v in (row[2], row[3], row[5]))
    assert png_size(tmp_path / "gates.png") == figure_pixels(3, 32)
    assert f"Heatmap: gates.png ({figure_pixels(3, 32)[0]}×{figure_pixels(3, 32)[1]} px)" in result.stdout


def test_inspect_json_has_every_unit_at_every_step(models):
    result = invoke("inspect", models / "stateful", "ABCDEF", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [s["input"] for s in document["steps"]] == list("ABCDEF")
    assert all(len(s[name]) == 8 for s in document["steps"] for name in "ifgoch")


def test_every_command_works_on_a_cyrillic_model(models, tmp_path):
    result = invoke("predict", models / "ru", "АБВ")
    assert result.exit_code == 0 and result.stdout.startswith("АБВ -> "), result.output
    result = invoke("generate", models / "ru", "--start", "ЭЮЯ", "--steps", 5)
    assert result.exit_code == 0 and re.fullmatch(rf"ЭЮЯ[{CYRILLIC}]{{5}}\n", result.stdout), result.output
    result = invoke("inspect", models / "ru", "ЁЖЗ", "--out", "ru.png")
    assert result.exit_code == 0 and png_size(tmp_path / "ru.png") == figure_pixels(3, 8), result.output


def letter_by_letter(model_dir: Path, text: str, steps: int) -> tuple[str, str]:
    """A plain loop's reading of a stateful model: one letter a step through `cell_step`, the
    state carried, scalar-encoded as the tutorial does. The letter it predicts after `text`,
    and `steps` letters fed back from there."""
    model = load(model_dir)
    config, layer = model.config, recurrent_params(model.params)
    state = zero_state((1,), config.units)

    def read(letter: str) -> str:
        nonlocal state
        x = jnp.asarray([[config.alphabet.index(letter) / len(config.alphabet)]], jnp.float32)
        state, _ = cell_step(layer, state, x, cell=config.cell, recurrent_activation=config.recurrent_activation)
        return config.alphabet[int(np.argmax(readout(model.params, state.h)))]

    for letter in text:
        after = read(letter)
    fed = after
    for _ in range(steps - 1):
        fed += read(fed[-1])
    return after, fed


def test_a_stateful_model_reads_its_text_letter_by_letter(models):
    """Its answers are the plain loop's letters (untrained: arbitrary, but exact)."""
    after, fed = letter_by_letter(models / "stateful", "ABCDEFGHIJ", 3)
    result = invoke("predict", models / "stateful", "ABCDEFGHIJ", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["predicted"] == after
    _, fed = letter_by_letter(models / "stateful", "ABCDEFGHIJK", 3)
    result = invoke("generate", models / "stateful", "--start", "K", "--steps", 3, "--warmup", "ABCDEFGHIJ")
    assert result.exit_code == 0 and result.stdout == f"K{fed}\n", result.output


POEM = "мороз и солнце; день чудесный!\nещё ты дремлешь, друг прелестный —\n"


def test_a_text_is_learned_with_its_own_alphabet_and_a_holdout(tmp_path):
    (tmp_path / "poem.txt").write_text(POEM, encoding="utf-8")
    result = invoke(
        "run", "timesteps", "--sequence-file", "poem.txt", "--seq-length", 5, "--epochs", 2, "--units", 8,
        "--save", "poem",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "encoding onehot" in result.stdout and "holdout 0.1" in result.stdout
    assert re.search(r"^Held-out Accuracy: \d+\.\d\d%$", result.stdout, re.M)
    settings = json.loads((tmp_path / "poem" / "config.json").read_text(encoding="utf-8"))["config"]
    assert settings["alphabet"] == "".join(dict.fromkeys(POEM.removesuffix("\n")))
    assert settings["sequence"] == POEM.removesuffix("\n") and settings["encoding"] == "onehot"
    result = invoke("predict", "poem", "мороз")
    assert result.exit_code == 0, result.output
    result = invoke("generate", "poem", "--start", "мороз", "--steps", 10)
    assert result.exit_code == 0 and result.stdout.startswith("мороз"), result.output


def break_weights(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-64])


def break_config(folder: Path) -> None:
    (folder / "config.json").write_text('{"format": "lstmlab-model", ', encoding="utf-8")


def drop_field(folder: Path) -> None:
    path = folder / "config.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["config"]["seq_length"]
    path.write_text(json.dumps(document), encoding="utf-8")


def newer_format(folder: Path) -> None:
    path = folder / "config.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["format_version"] = 99
    path.write_text(json.dumps(document), encoding="utf-8")


FILES = {
    "empty.txt": "",
    "one.txt": "aaaa\n",
    "text.txt": "abcdefgh abcdefgh",
    "latin1.txt": "café".encode("latin-1"),
    "notes.txt": "not a model",
}

BAD = [
    # (arguments, what the one line says); {m} is the trained model, {ru} the Cyrillic one, {x} a broken copy
    (["predict", "{m}", "AB1"], "'1' is not in the alphabet 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' (position 2)"),
    (["predict", "{ru}", "АБQ"], f"'Q' is not in the alphabet '{CYRILLIC}' (position 2)"),
    (["predict", "{m}", "ABCD"], "'ABCD' has 4 symbols; this model reads windows of exactly 3"),
    (["predict", "{m}", "AB"], "'AB' has 2 symbols; this model reads windows of exactly 3"),
    (["predict", "{m}", ""], "the text is empty; give exactly 3 symbols from the model's alphabet"),
    (["predict", "{m}", "ABC", "--top", "0"], "--top 0 is not allowed; give a whole number in 1..1,000"),
    (["inspect", "{m}", "ABCD"], "'ABCD' has 4 symbols; this model reads windows of exactly 3"),
    (["inspect", "{m}", ""], "the text is empty"),
    (["inspect", "{m}", "ABC", "--out", "nowhere/gates.png"], "the folder 'nowhere' does not exist"),
    (["inspect", "{m}", "ABC", "--out", "gates.svg"], "give a file name ending in .png"),
    (["generate", "{m}", "--start", "ABC", "--steps", "0"], "--steps 0 is not allowed; give a whole number in 1"),
    (["generate", "{m}", "--start", "ABC", "--steps", "-2"], "--steps -2 is not allowed; give a whole"),
    (["generate", "{m}", "--start", "", "--steps", "3"], "the start text is empty"),
    (["generate", "{m}", "--start", "A", "--steps", "3"], "'A' has 1 symbol; this model needs at least 3 to start"),
    (["generate", "{m}", "--start", "ABC"], "Missing option '--steps'"),
    (["predict", "no-such-dir", "ABC"], "no model at 'no-such-dir': the folder does not exist"),
    (["predict", "notes.txt", "ABC"], "'notes.txt' is a file; give the folder"),
    (["predict", ".", "ABC"], "'.' is not an lstmlab model: it has no config.json"),
    (["predict", "{x:weights}", "ABC"], "model.safetensors does not match the checksum in config.json"),
    (["generate", "{x:config}", "--start", "ABC", "--steps", "2"], "config.json is not valid JSON"),
    (["inspect", "{x:field}", "ABC"], "config.json lacks the setting 'seq_length'"),
    (["predict", "{x:format}", "ABC"], "has format version 99, newer than this lstmlab"),
    (["run", "timesteps", "--sequence-file", "empty.txt"], "the sequence file 'empty.txt' is empty"),
    (["run", "timesteps", "--sequence-file", "one.txt"], "the sequence file 'one.txt' has one distinct symbol ('a')"),
    (["run", "timesteps", "--sequence-file", "missing.txt"], "cannot read the sequence file 'missing.txt'"),
    (["run", "timesteps", "--sequence-file", "latin1.txt"], "the sequence file 'latin1.txt' is not UTF-8 text"),
    (["run", "variable-length", "--sequence-file", "text.txt"], "a text to learn is read in fixed windows"),
    (["run", "timesteps", "--encoding", "morse"], "encoding 'morse' is not allowed; choose one of: scalar, onehot"),
    (["run", "timesteps", "--save", "notes.txt"], "cannot save to 'notes.txt': it is a file, not a folder"),
    (["run", "timesteps", "--save", "."], "cannot save to '.': it is the current folder or a folder above it"),
    (["run", "naive", "--save", "notes.txt/m"], "cannot save to 'notes.txt/m': 'notes.txt' is a file, not a folder"),
    (["run", "naive", "--save", "notes.txt/a/b"], "cannot save to 'notes.txt/a/b': 'notes.txt' is a file"),
]
BREAKERS = {"weights": break_weights, "config": break_config, "field": drop_field, "format": newer_format}


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_written(models, tmp_path, args, message):
    for name, content in FILES.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    paths = {"{m}": models / "abc", "{ru}": models / "ru"}
    for kind, damage in BREAKERS.items():
        paths[f"{{x:{kind}}}"] = shutil.copytree(models / "abc", tmp_path / f"broken-{kind}")
        damage(paths[f"{{x:{kind}}}"])
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = invoke(*(paths.get(a, a) for a in args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0]
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("readme", READMES)
def test_readme_shows_what_generate_prints(models, readme):
    env, shown = output_block(readme, "lstmlab generate models/abc --start ABC --steps 23")
    args = ["generate", str(models / "abc"), "--start", "ABC", "--steps", "23"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == shown
