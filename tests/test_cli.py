import json
import re
import shlex

import pytest
import typer
from typer.testing import CliRunner

from lstmlab import __version__
from lstmlab.cli.app import app
from tests.cli import invoke
from tests.readmes import READMES, output_block, text


def test_version_and_help():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"lstmlab {__version__}"
    for args in [("-h",), ("--help",), ()]:
        result = invoke(*args)
        assert result.exit_code == 0 and "Usage" in result.output and "run" in result.output


COMMANDS = typer.main.get_command(app).commands  # what the app has, not a list kept by hand


def test_the_app_has_its_eleven_commands():
    assert sorted(COMMANDS) == sorted(
        ["list", "run", "reproduce", "compare", "gradients", "predict", "generate", "inspect", "serve"]
        + ["import-keras", "export-keras"]
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_summary_and_examples_it_accepts(name):
    """Its help opens with a one-line summary and shows examples; each example is this command,
    and its options parse (click reads it as the command line would, but runs nothing)."""
    result = invoke(name, "-h")
    assert result.exit_code == 0 and "Examples:" in result.output
    summary, _, rest = COMMANDS[name].help.partition("\n")
    assert summary.endswith(".") and summary in " ".join(result.output.split())
    examples = [line.strip() for line in rest.split("Examples:")[1].splitlines() if line.strip()]
    assert examples and all(example.startswith(f"lstmlab {name}") for example in examples)
    for example in examples:
        COMMANDS[name].make_context(name, shlex.split(example)[2:])  # an unknown option or a bad number raises


def test_list_shows_every_experiment_with_the_tutorials_figure():
    result = invoke("list")
    assert result.exit_code == 0
    for name, figure in [
        ("naive", "84.00%"),
        ("features", "86.96%"),
        ("timesteps", "100.00%"),
        ("batch-state", "100.00%"),
        ("stateful", "100.00%"),
        ("variable-length", "98.90%"),
    ]:
        assert re.search(rf"{name}\s.*{re.escape(figure)}", result.output), name


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "bogus"], "unknown experiment 'bogus'; choose one of: naive, features, timesteps"),
        (["run", "timesteps", "--seq-length", "26"], "window length 26 must be smaller than the alphabet's length 26"),
        (["run", "timesteps", "--alphabet", "ABC"], "window length 3 must be smaller than the alphabet's length 3"),
        (["run", "naive", "--epochs", "0"], "epochs must be a positive whole number, got 0"),
        (["run", "naive", "--epochs", "-5"], "epochs must be a positive whole number, got -5"),
        (["run", "naive", "--epochs", "many"], "Invalid value for '--epochs'"),
        (["run", "naive", "--batch-size", "0"], "batch size must be a positive whole number, got 0"),
        (["run", "naive", "--batch-size", "half"], "batch size 'half' is not allowed; give a positive whole number"),
        (["run", "naive", "--units", "0"], "units must be a positive whole number, got 0"),
        (["run", "naive", "--units", "1000000000000"], "units 1000000000000 is too many; allowed: 1..4096"),
        (["run", "naive", "--alphabet", ""], "the alphabet is empty; give at least 2 distinct symbols"),
        (["run", "naive", "--alphabet", "ABCA"], "the alphabet 'ABCA' repeats 'A' (positions 0 and 3)"),
        (["run", "naive", "--alphabet", "Z"], "the alphabet 'Z' has one symbol"),
        (["run", "variable-length", "--padding", "left"], "padding 'left' is not allowed; choose one of: zero, mask"),
        (["run", "variable-length", "--holdout", "1.5"], "holdout 1.5 must be a fraction in [0, 1)"),
        (["run", "naive", "--activation", "relu"], "recurrent activation 'relu' is not allowed"),
        (["run", "stateful", "--shuffle"], "a stateful model carries state from sample to sample in order"),
        (["run", "naive", "--seed", "99999999999999999999"], "seed must be a whole number in 0..9223372036854775807"),
        (["run", "naive", "--seeds", "²"], "'²' is not a seed (a whole number >= 0) or a range like 3-10"),
        (["run", "naive", "--seeds", "0-9999999999"], "names 10,000,000,000 seeds; at most 100,000 are allowed"),
        (["run", "naive", "--cell", "transformer"], "cell 'transformer' is not allowed; choose one of: lstm, lstm"),
        (["run", "naive", "--cell", "gru", "--forget-bias", "5"], "forget bias applies to the lstm cell; cell 'gru'"),
        (["run", "naive", "--forget-bias", "nan"], "forget bias nan is not allowed; give a number in -100..100"),
        (["run", "naive", "--cell", "rnn", "--activation", "hard_sigmoid"], "cell 'rnn' has no gates"),
        (["run", "naive", "--optimizer", "rmsprop"], "optimizer 'rmsprop' is not allowed; choose one of: adam, sgd"),
        (["run", "naive", "--learning-rate", "0"], "learning rate must be positive, got 0.0"),
        (["reproduce", "--cell", "lstm2"], "cell 'lstm2' is not allowed"),
        (["run", "bogus"], "or one of the 1997 paper's tasks: long-lag, adding, temporal-order, embedded-reber"),
        (["run", "adding", "--epochs", "5"], "--epochs applies to the tutorial's experiments, not to the task"),
        (["run", "adding", "--save", "m"], "--save applies to the tutorial's experiments, not to the task"),
        (["run", "timesteps", "--lag", "5"], "--lag applies to the 1997 paper's tasks (long-lag, adding"),
        (["run", "naive", "--budget", "5"], "--budget applies to the 1997 paper's tasks"),
        (["run", "adding", "--lag", "3"], "lag 3 is not allowed for 'adding'; allowed: 10..10000"),
        (["run", "embedded-reber", "--lag", "30"], "task 'embedded-reber' has no lag"),
        (["run", "adding", "--batch-size", "all"], "batch size 'all' is not allowed for a task"),
        (["run", "adding", "--check-every", "3", "--batch-size", "2"], "check every 3 sequences is not a whole number"),
        (["run", "long-lag", "--seeds", "2", "--seed", "1"], "give --seed (one model) or --seeds (many), not both"),
        (["run", "naive", "--frobnicate"], "No such option: --frobnicate"),
        (["run"], "Missing argument"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_run_naive_end_to_end():
    result = invoke("run", "naive", "--epochs", "5")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2:27] == [
        f"{a} -> {b}" for a, b in zip("ABCDEFGHIJKLMNOPQRSTUVWXY", "BCDEFGHIJKLMNOPQRSTUVWXYZ", strict=True)
    ]
    assert re.fullmatch(r"Model Accuracy: \d+\.\d\d%", lines[27])
    assert len([line for line in lines if line.startswith("['")]) == 25
    assert lines[-1].startswith("Trained 125 steps")


def test_run_features_marks_wrong_predictions():
    result = invoke("run", "features", "--epochs", "3")
    assert result.exit_code == 0, result.output
    table = [line for line in result.stdout.splitlines() if line.startswith("['")]
    assert len(table) == 23 and table[0].startswith("['A', 'B', 'C'] -> ")
    wrong = [line for line in table if "✗ expected" in line]
    accuracy = float(re.search(r"Model Accuracy: ([\d.]+)%", result.stdout).group(1))
    assert len(wrong) == round(23 * (1 - accuracy / 100))
    for line in wrong:
        assert re.fullmatch(r"\['(.)', '(.)', '(.)'\] -> . +✗ expected .", line)


def test_run_json_is_one_document():
    result = invoke("run", "naive", "--epochs", "4", "--alphabet", "0123456789", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["experiment"] == "naive"
    assert document["settings"]["alphabet"] == "0123456789" and document["settings"]["epochs"] == 4
    (seed,) = document["seeds"]
    assert seed["seed"] == 7 and len(seed["predictions"]) == 9
    assert seed["predictions"][0]["input"] == "0" and seed["predictions"][0]["target"] == "1"
    assert len(seed["history"]["loss"]) == len(seed["history"]["accuracy"]) == 4
    right = sum(p["correct"] for p in seed["predictions"])
    assert seed["accuracy"] == pytest.approx(right / 9)
    assert document["timing"]["compile_seconds"] >= 0 and document["timing"]["train_seconds"] > 0


def test_run_variable_length_shows_a_random_sample_and_holdout():
    result = invoke("run", "variable-length", "--epochs", "2", "--padding", "mask", "--holdout", "0.2")
    assert result.exit_code == 0, result.output
    assert "Held-out Accuracy: " in result.stdout
    # the holdout takes every draw of its patterns out of the 1000
    assert "… and 751 more (781 pairs)" in result.stdout
    sample = result.stdout.split("Test a Random Pattern:\n")[1].splitlines()[:20]
    assert len(sample) == 20 and all(line.startswith("['") for line in sample)


def test_run_stateful_prints_the_generations():
    result = invoke("run", "stateful", "--epochs", "2", "--json")
    assert result.exit_code == 0, result.output
    titles = [g["title"] for g in json.loads(result.stdout)["demonstrations"]["generations"]]
    assert titles == [
        "From A after a reset:",
        "New start: K, after a reset:",
        "New start: K, after warming the state with ABCDEFGHIJ:",
    ]


def test_both_readmes_give_the_same_set_up_commands():
    first_commands = [text(readme).split("```sh\n", 1)[1].split("```", 1)[0] for readme in READMES]
    assert first_commands[0].startswith("pip install -e . && lstmlab run timesteps\n")
    assert all(commands == first_commands[0] for commands in first_commands)


@pytest.mark.parametrize("readme", READMES)
def test_readme_shows_what_run_timesteps_prints(readme):
    """Each README's example output is the real output at the default seed (timings aside),
    in the environment its marker names (`<!-- output: LSTMLAB_LANG=ru lstmlab run timesteps -->`)."""
    env, shown = output_block(readme, "lstmlab run timesteps")
    result = CliRunner().invoke(app, ["run", "timesteps"], env=env)
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().splitlines()
    assert printed[:-1] == shown[:-1]
    # The last line is the timing: the same words (in the README's language), other seconds.
    def words(line: str) -> str:
        return re.sub(r"\d[\d.,]*", "N", line)

    assert words(shown[-1]) == words(printed[-1])
    assert re.search(r"11,?500", shown[-1]) and re.search(r"11,?500", printed[-1])  # steps: 23 patterns × 500 epochs
    assert any(line.endswith(": 100.00%") for line in printed)  # Model Accuracy (Точность модели in Russian)
