"""Statistics over seeds, checked against Python's `statistics` module and hand counts."""

import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstmlab.render.text import bar, histogram_lines, pattern_lines, summary_line
from lstmlab.results.stats import histogram, pattern_hits, summarize
from tests.readmes import READMES, many_seeds_section

# 23 patterns (the timesteps experiment): accuracies are k/23.
KNOWN = [23 / 23, 23 / 23, 22 / 23, 23 / 23, 20 / 23, 23 / 23, 22 / 23, 11 / 23]


def test_summary_of_a_known_set():
    s = summarize(KNOWN)
    assert s.seeds == 8
    assert s.mean == pytest.approx(statistics.fmean(KNOWN), abs=1e-15)
    assert s.median == pytest.approx(statistics.median(KNOWN), abs=1e-15)
    assert s.std == pytest.approx(statistics.pstdev(KNOWN), abs=1e-15)
    assert (s.minimum, s.maximum) == (11 / 23, 1.0)
    assert s.perfect == 4 and s.perfect_share == 0.5
    assert s.perfect_share == 0.5


def test_summary_line_reads_like_the_tutorial():
    line = summary_line(summarize([1.0, 0.5]))
    assert line == (
        "Accuracy over 2 seeds: mean 75.00%, median 75.00%, min 50.00%, max 100.00%, "
        "std 25.00 points; 1/2 seeds (50%) at 100%"
    )


def test_histogram_of_a_known_set():
    bins = histogram(KNOWN)
    # 11/23 = 47.8% -> 40-50; 20/23 = 87.0% -> 80-90; 22/23 = 95.7% twice -> 90-100; 100% four times
    assert [(b.label, b.count) for b in bins] == [
        ("40–50%", 1),
        ("50–60%", 0),
        ("60–70%", 0),
        ("70–80%", 0),
        ("80–90%", 1),
        ("90–100%", 2),
        ("100%", 4),
    ]


def test_histogram_puts_exact_tenths_in_the_bin_they_open():
    # 7/10 is 0.7000000000000001 times 10 in floats; 3/10 * 10 is 3.0000000000000004
    bins = {b.label: b.count for b in histogram([0.7, 3 / 10, 0.6, 6 / 10])}
    assert bins["70–80%"] == 1 and bins["30–40%"] == 1 and bins["60–70%"] == 2


@given(st.lists(st.integers(0, 25), min_size=1, max_size=300))
def test_histogram_counts_every_seed_once(rights):
    accuracies = [k / 25 for k in rights]
    bins = histogram(accuracies)
    assert sum(b.count for b in bins) == len(accuracies)
    assert bins[-1].count == rights.count(25)
    s = summarize(accuracies)
    assert s.minimum <= s.median <= s.maximum and s.minimum - 1e-12 <= s.mean <= s.maximum + 1e-12
    for b in bins[:-1]:
        assert b.count == sum(b.low <= a < b.high and a < 1 for a in np.round(accuracies, 12))


def test_histogram_lines_scale_bars_to_the_largest_bin():
    lines = histogram_lines(histogram([1.0] * 4 + [0.95] * 2))
    assert lines == ["  90–100%      2  " + "█" * 20, "     100%      4  " + "█" * 40]
    assert bar(1, 8, 1) == "▏" and bar(0, 8) == ""


def test_pattern_hits_counts_seeds_per_distinct_pattern():
    # 3 seeds, 4 samples; samples 1 and 3 are the same pattern drawn twice
    correct = np.array(
        [
            [True, True, False, True],
            [True, False, False, True],  # gets one draw of "BC" wrong: not counted for BC
            [False, True, True, True],
        ]
    )
    hits = pattern_hits(correct, ["A", "BC", "C", "BC"], ["B", "D", "D", "D"])
    assert [(h.input, h.target, h.hits, h.occurrences) for h in hits] == [
        ("A", "B", 2, 1),
        ("BC", "D", 2, 2),
        ("C", "D", 1, 1),
    ]
    assert all(h.seeds == 3 for h in hits)


def test_pattern_lines_show_the_hardest_when_there_are_many():
    correct = np.ones((4, 40), bool)
    correct[:, 7] = False
    hits = pattern_hits(correct, [f"p{i:02d}" for i in range(40)], ["x"] * 40)
    lines = pattern_lines(hits, limit=5)
    assert lines[0].endswith("(the 5 hardest of 40):")
    assert lines[1].strip().startswith("p07 -> x  0/4")
    assert lines[-1] == "  … and 35 more, each right in at least 4/4 seeds"


def test_summarize_rejects_nothing():
    with pytest.raises(ValueError, match="non-empty"):
        summarize([])


@pytest.mark.parametrize("readme", READMES)
def test_readme_many_seeds_output_is_what_the_code_prints(readme):
    """Each README shows `run timesteps --seeds 100`: 91 seeds at 23/23, 9 at 22/23 (VWX -> Y)."""
    from lstmlab.render.text import COLUMNS

    section = many_seeds_section(readme)
    block = ("Accuracy" + section.split("```\nAccuracy", 1)[1].split("```", 1)[0]).splitlines()
    accuracies = [1.0] * 91 + [22 / 23] * 9
    assert block[0] == summary_line(summarize(accuracies))
    assert block[1:4] == ["Seeds by accuracy:", *histogram_lines(histogram(accuracies))]
    correct = np.ones((100, 3), bool)
    correct[:9, 1] = False
    lines = pattern_lines(pattern_hits(correct, ["ABC", "VWX", "WXY"], ["D", "Y", "Z"]))
    assert [block[4], block[5], *block[7:9]] == lines
    assert "| " + " | ".join(COLUMNS.values()) + " |" in section
