"""Reproduce the tutorial: every experiment over many seeds, and a report of how the
tutorial's single runs compare with the distribution.

    plan(...)            - check the request and resolve the configs, before anything runs
    run_experiments(...) - train and evaluate each config over the seeds
    report_files(...)    - report.md, report.html (pictures embedded), results.json, figures/
    write_folder(...)    - put those files in place all at once, or not at all
"""

import base64
import html
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstmlab import folders
from lstmlab.config import Config
from lstmlab.errors import ConfigError
from lstmlab.experiments import EXPERIMENTS, Experiment, get_experiment
from lstmlab.figures import accuracy_figure, curves_figure, overview_figure
from lstmlab.report import settings_line, versions
from lstmlab.runner import RunResult, run
from lstmlab.stats import Distribution, distribution, percent, summary_line
from lstmlab.training import EpochMetrics

REPORT_FILES = ("report.md", "report.html", "results.json")
HARD_PATTERNS_SHOWN = 10


# --- the request -----------------------------------------------------------------------------


def experiment_names(text: str | None) -> tuple[str, ...]:
    """'a,b' -> the named experiments, in the registry's order; None -> all of them."""
    if text is None:
        return tuple(EXPERIMENTS)
    names = [part.strip() for part in text.split(",")]
    for name in names:
        get_experiment(name)  # raises, naming the allowed set
    if len(set(names)) != len(names):
        raise ConfigError(f"--experiments {text!r} names an experiment twice")
    return tuple(name for name in EXPERIMENTS if name in names)


def scaled_config(experiment: Experiment, epochs: int | None, epochs_scale: float | None) -> Config:
    if epochs is not None and epochs_scale is not None:
        raise ConfigError("give --epochs or --epochs-scale, not both")
    if epochs_scale is not None:
        if not (math.isfinite(epochs_scale) and epochs_scale > 0):  # inf would overflow round(), nan compares False
            raise ConfigError(f"--epochs-scale must be positive and finite, got {epochs_scale!r}")
        epochs = max(1, round(experiment.config.epochs * epochs_scale))
    return experiment.config if epochs is None else experiment.config.replace(epochs=epochs)


def check_out_dir(out: str | os.PathLike) -> Path:
    """The report folder may be new, empty, or a previous report (which is replaced whole);
    its parent must exist. Anything else is a mistake, found before training starts."""
    out = Path(out)
    return folders.check_target(
        out,
        is_ours=is_report_folder,
        label=f"--out {str(out)!r}:",
        kind="an lstmlab report",
        error=ConfigError,
        parent_must_exist=True,
    )


def is_report_folder(folder: Path) -> bool:
    """A previous report: the report files, figures/ and nothing else (a user's own files
    beside a report make it theirs, and it is never deleted)."""
    names = {p.name for p in folder.iterdir()}
    return (
        names <= {*REPORT_FILES, "figures"}
        and all((folder / name).is_file() for name in REPORT_FILES)
        and ("figures" not in names or (folder / "figures").is_dir())
    )


def plan(
    names: str | None, epochs: int | None = None, epochs_scale: float | None = None, out: Path | None = None
) -> list[Config]:
    """Every check, then the configs to run. Nothing runs and nothing is written here."""
    configs = [scaled_config(get_experiment(name), epochs, epochs_scale) for name in experiment_names(names)]
    if out is not None:
        check_out_dir(out)
    return configs


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    experiment: Experiment
    result: RunResult
    distribution: Distribution

    @property
    def name(self) -> str:
        return self.experiment.name


def run_experiments(
    configs: Sequence[Config],
    seeds: Sequence[int],
    on_start: Callable[[int, Config], None] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
) -> list[Outcome]:
    """Train and evaluate each config over `seeds`; on_start(index, config) before each."""
    outcomes = []
    for index, config in enumerate(configs):
        if on_start is not None:
            on_start(index, config)
        result = run(config, seeds=seeds, on_progress=on_progress)
        outcomes.append(Outcome(get_experiment(config.experiment), result, distribution(result)))
    return outcomes


# --- what the report says ----------------------------------------------------------------------


def summary_rows(outcomes: Sequence[Outcome]) -> list[dict[str, str]]:
    """The report's first table, as text cells: the markdown, the HTML and the terminal show these."""
    rows = []
    for o in outcomes:
        s = o.distribution.summary
        rows.append(
            {
                "experiment": o.name,
                "tutorial": f"{o.experiment.tutorial_accuracy:.2f}%",
                "median": percent(s.median),
                "min–max": f"{percent(s.minimum)}–{percent(s.maximum)}",
                "std": f"{s.std * 100:.2f}",
                "at 100%": f"{s.perfect}/{s.seeds} ({s.perfect_share * 100:.0f}%)",
                "train s": f"{o.result.training.train_seconds:.1f}",
            }
        )
    return rows


COLUMNS = {
    "experiment": "experiment",
    "tutorial": "tutorial",
    "median": "our median",
    "min–max": "min–max",
    "std": "std (points)",
    "at 100%": "seeds at 100%",
    "train s": "train s",
}


def table_lines(rows: list[dict[str, str]]) -> list[str]:
    """The first table as aligned plain text, for the terminal (never truncated)."""
    widths = {key: max(len(header), *(len(row[key]) for row in rows)) for key, header in COLUMNS.items()}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(
            cells[key].ljust(widths[key]) if key == "experiment" else cells[key].rjust(widths[key]) for key in COLUMNS
        ).rstrip()

    return [line(COLUMNS), line({key: "─" * widths[key] for key in COLUMNS})] + [line(row) for row in rows]


def _rounded(values, digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in values]


def _curve(history: np.ndarray) -> dict:
    p10, median, p90 = np.percentile(history, [10, 50, 90], axis=0)
    return {"median": _rounded(median), "p10": _rounded(p10), "p90": _rounded(p90)}


def figure_names(name: str) -> dict[str, str]:
    return {"accuracy": f"figures/{name}-accuracy.png", "curves": f"figures/{name}-curves.png"}


def results_document(outcomes: Sequence[Outcome], seeds: Sequence[int], command: Sequence[str]) -> dict:
    experiments = []
    for o in outcomes:
        r = o.result
        entry = {
            "experiment": o.name,
            "summary": o.experiment.summary,
            "tutorial_accuracy": o.experiment.tutorial_accuracy / 100,
            "tutorial_note": o.experiment.tutorial_note,
            "settings": r.config.to_dict(),
            "train_patterns": len(r.dataset.train),
            "per_seed": [
                {
                    "seed": seed,
                    "accuracy": float(r.accuracies[i]),
                    "final_loss": round(float(r.training.loss[i, -1]), 6),
                }
                for i, seed in enumerate(r.seeds)
            ],
            "statistics": o.distribution.to_dict(),
            "curves": {"loss": _curve(r.training.loss), "accuracy": _curve(r.training.accuracy)},
            "train_seconds": round(r.training.train_seconds, 3),
            "compile_seconds": round(r.training.compile_seconds, 3),
            "figures": figure_names(o.name),
        }
        experiments.append(entry)
    return {
        "seeds": list(seeds),
        "experiments": experiments,
        "table": summary_rows(outcomes),
        "command": list(command),
        "versions": versions(),
    }


def figures(outcomes: Sequence[Outcome]) -> dict[str, bytes]:
    pictures = {
        "figures/overview.png": overview_figure(
            [(o.name, o.result.accuracies, o.experiment.tutorial_accuracy) for o in outcomes]
        )
    }
    for o in outcomes:
        names = figure_names(o.name)
        pictures[names["accuracy"]] = accuracy_figure(
            f"{o.name}: accuracy of {len(o.result.seeds)} seeds",
            o.result.accuracies,
            o.experiment.tutorial_accuracy,
            len(o.result.dataset.train),
        )
        pictures[names["curves"]] = curves_figure(
            f"{o.name}: training over {len(o.result.seeds)} seeds", o.result.training.loss, o.result.training.accuracy
        )
    return pictures


def _hard_patterns(o: Outcome) -> list[str]:
    hard = sorted((p for p in o.distribution.patterns if p.hits < p.seeds), key=lambda p: (p.hits, p.pattern))
    return [f"{p.pattern} -> {p.target}: {p.hits}/{p.seeds} seeds" for p in hard[:HARD_PATTERNS_SHOWN]]


def _seed_text(seeds: Sequence[int]) -> str:
    if list(seeds) == list(range(1, len(seeds) + 1)):
        return f"{len(seeds)} seeds (1–{len(seeds)})"
    return f"{len(seeds)} seeds ({', '.join(map(str, seeds[:10]))}{', …' if len(seeds) > 10 else ''})"


def _intro(seeds: Sequence[int]) -> str:
    return (
        f"Each experiment of the Keras alphabet tutorial, at the tutorial's settings, trained over "
        f"{_seed_text(seeds)}: each seed its own initialisation and shuffling. The tutorial reported "
        "one run of each; here is where that run falls among many."
    )


def markdown(outcomes: Sequence[Outcome], seeds: Sequence[int], command: Sequence[str]) -> str:
    rows = summary_rows(outcomes)
    lines = ["# lstmlab: the alphabet tutorial over many seeds", "", _intro(seeds), ""]
    lines.append("| " + " | ".join(COLUMNS.values()) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|")
    lines += ["| " + " | ".join(row[key] for key in COLUMNS) + " |" for row in rows]
    lines += ["", "![every experiment's spread](figures/overview.png)", ""]
    for o in outcomes:
        names = figure_names(o.name)
        lines += [f"## {o.name}: {o.experiment.summary}", "", f"Settings: {settings_line(o.result.config)}.", ""]
        note = f" ({o.experiment.tutorial_note})" if o.experiment.tutorial_note else ""
        lines += [f"The tutorial reported {o.experiment.tutorial_accuracy:.2f}%{note}.", ""]
        lines += [summary_line(o.distribution.summary) + ".", ""]
        lines += [f"![{o.name} accuracy]({names['accuracy']})", "", f"![{o.name} training]({names['curves']})", ""]
        hard = _hard_patterns(o)
        if hard:
            lines += ["Hardest patterns:", ""] + [f"- {line}" for line in hard]
        else:
            lines.append("Every seed gets every pattern.")
        lines.append("")
    lines += [
        "---",
        "",
        f"Made by `{' '.join(command)}`; lstmlab {versions()['lstmlab']}, jax {versions()['jax']}.",
        "",
    ]
    return "\n".join(lines)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: 0.5rem 0; }
code { background: #f3f3f3; padding: 0 0.2rem; }
"""


def html_report(
    outcomes: Sequence[Outcome], seeds: Sequence[int], command: Sequence[str], pictures: dict[str, bytes]
) -> str:
    """One self-contained page: every picture is a data: URI, nothing is fetched."""
    e = html.escape

    def img(path: str, alt: str) -> str:
        data = base64.b64encode(pictures[path]).decode("ascii")
        return f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'

    rows = summary_rows(outcomes)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>lstmlab: the alphabet tutorial over many seeds</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>lstmlab: the alphabet tutorial over many seeds</h1>",
        f"<p>{e(_intro(seeds))}</p>",
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in COLUMNS.values()) + "</tr></thead><tbody>",
    ]
    parts += ["<tr>" + "".join(f"<td>{e(row[key])}</td>" for key in COLUMNS) + "</tr>" for row in rows]
    parts += ["</tbody></table>", img("figures/overview.png", "every experiment's spread")]
    for o in outcomes:
        names = figure_names(o.name)
        note = f" ({o.experiment.tutorial_note})" if o.experiment.tutorial_note else ""
        parts += [
            f'<h2 id="{e(o.name)}">{e(o.name)}: {e(o.experiment.summary)}</h2>',
            f"<p>Settings: {e(settings_line(o.result.config))}.<br>",
            f"The tutorial reported {o.experiment.tutorial_accuracy:.2f}%{e(note)}.<br>",
            f"{e(summary_line(o.distribution.summary))}.</p>",
            img(names["accuracy"], f"{o.name} accuracy"),
            img(names["curves"], f"{o.name} training"),
        ]
        hard = _hard_patterns(o)
        if hard:
            parts.append("<p>Hardest patterns:</p><ul>" + "".join(f"<li>{e(line)}</li>" for line in hard) + "</ul>")
        else:
            parts.append("<p>Every seed gets every pattern.</p>")
    v = versions()
    parts += [
        f"<hr><p>Made by <code>{e(' '.join(command))}</code>; lstmlab {e(v['lstmlab'])}, jax {e(v['jax'])}.</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def report_files(outcomes: Sequence[Outcome], seeds: Sequence[int], command: Sequence[str] | None = None) -> dict:
    """Every file of the report folder: relative path -> bytes."""
    if command is None:  # `lstmlab reproduce …`, not the installed script's full path
        command = [Path(sys.argv[0]).name, *sys.argv[1:]]
    pictures = figures(outcomes)
    files = {
        "report.md": markdown(outcomes, seeds, command).encode("utf-8"),
        "report.html": html_report(outcomes, seeds, command, pictures).encode("utf-8"),
        "results.json": (json.dumps(results_document(outcomes, seeds, command), indent=1) + "\n").encode("utf-8"),
    }
    return files | pictures


# --- writing, all or nothing -----------------------------------------------------------------


def write_folder(out: Path, files: dict[str, bytes]) -> Path:
    """Write `files` into a temporary folder beside `out`, then move it into place; a previous
    report there is swapped out and removed. An error or Ctrl-C leaves `out` as it was."""

    def write(folder: Path) -> None:
        for relative, data in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    return folders.write_atomically(check_out_dir(out), write)


def reproduce(
    configs: Sequence[Config],
    seeds: Sequence[int],
    out: Path,
    on_start: Callable[[int, Config], None] | None = None,
    on_progress: Callable[[int, EpochMetrics], None] | None = None,
) -> list[Outcome]:
    """Run, then write the report folder. Returns the outcomes."""
    outcomes = run_experiments(configs, seeds, on_start, on_progress)
    write_folder(out, report_files(outcomes, seeds))
    return outcomes
