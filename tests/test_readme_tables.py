"""The READMEs' many-seeds figures (English and Russian: the same figures), re-run:
`lstmlab run timesteps --seeds 100` and the reproduce table's accuracy columns for every
experiment but variable-length (whose 100 seeds take three minutes here; its row comes from
`lstmlab reproduce --seeds 100` as the README says)."""

import pytest

from lstmlab.engine.runner import run
from lstmlab.render.text import distribution_lines, percent
from lstmlab.results.run import run_distribution
from lstmlab.settings.config import load_config
from tests.readmes import READMES, many_seeds_section


@pytest.mark.slow
def test_the_many_seeds_block_is_what_100_seeds_print():
    printed = distribution_lines(run_distribution(run(load_config("timesteps"), seeds=range(1, 101))))
    for readme in READMES:
        section = many_seeds_section(readme)
        block = ("Accuracy" + section.split("```\nAccuracy", 1)[1].split("```", 1)[0]).splitlines()
        shown = [line for line in block if not line.strip().startswith(("…", "Trained"))]
        assert shown == [line for line in printed if line in shown] and printed[:6] == block[:6], readme
        assert printed[-2:] == block[-3:-1], readme


@pytest.mark.slow
@pytest.mark.parametrize("name", ["naive", "features", "timesteps", "batch-state", "stateful"])
def test_the_reproduce_tables_accuracy_columns(name):
    s = run_distribution(run(load_config(name), seeds=range(1, 101))).summary
    for readme in READMES:
        row = next(line for line in many_seeds_section(readme).splitlines() if line.startswith(f"| {name} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2:6] == [
            percent(s.median),
            f"{percent(s.minimum)}–{percent(s.maximum)}",
            f"{s.std * 100:.2f}",
            f"{s.perfect}/{s.seeds} ({s.perfect_share * 100:.0f}%)",
        ], readme
