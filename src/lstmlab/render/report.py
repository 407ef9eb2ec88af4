"""The reproduce report: what its sections hold (render.page writes them as Markdown and
HTML), and its figures. `lstmlab.sweeps.experiment_jobs.reproduce` runs the sweep and writes it.

    sections(document)     - the report's content: headings, paragraphs, the table, pictures
    report_files(document) - every file of the report folder: path -> bytes
"""

from collections.abc import Sequence

from lstmlab.i18n import speaking
from lstmlab.render import page
from lstmlab.render.figures import accuracy_figure, accuracy_title, curves_figure, curves_title, overview_figure
from lstmlab.render.page import Picture, Report, Section
from lstmlab.render.text import COLUMNS, changes_line, percent, settings_line, summary_line, summary_rows
from lstmlab.results.reproduction import ExperimentOutcome, ReproductionDocument

HARD_PATTERNS_SHOWN = 10
OVERVIEW = "figures/overview.png"
TITLE = "lstmlab: the alphabet tutorial over many seeds"


def _seed_text(seeds: Sequence[int]) -> str:
    if list(seeds) == list(range(1, len(seeds) + 1)):
        return f"{len(seeds)} seeds (1–{len(seeds)})"
    return f"{len(seeds)} seeds ({', '.join(map(str, seeds[:10]))}{', …' if len(seeds) > 10 else ''})"


def _intro(document: ReproductionDocument) -> str:
    changed = any(e.changed_settings for e in document.experiments)
    settings = "at settings changed from the tutorial's (see each section)" if changed else "at the tutorial's settings"
    return (
        f"Each experiment of the Keras alphabet tutorial, {settings}, trained over "
        f"{_seed_text(document.seeds)}: each seed its own initialisation and shuffling. The tutorial reported "
        "one run of each; here is where that run falls among many."
    )


def _hard_patterns(e: ExperimentOutcome) -> list[str]:
    hard = sorted((p for p in e.statistics.patterns if p.hits < p.seeds), key=lambda p: (p.hits, p.input))
    return [f"{p.input} -> {p.target}: {p.hits}/{p.seeds} seeds" for p in hard[:HARD_PATTERNS_SHOWN]]


def _experiment_section(e: ExperimentOutcome) -> Section:
    note = f" ({e.tutorial_note})" if e.tutorial_note else ""
    paragraphs = [f"Settings: {settings_line(e.settings)}."]
    if e.changed_settings:
        paragraphs.append(f"Changed from the tutorial: {changes_line(e.changed_settings)}.")
    paragraphs += [
        f"The tutorial reported {percent(e.tutorial_accuracy)}{note}.",
        summary_line(e.statistics.summary) + ".",
    ]
    hard = _hard_patterns(e)
    if not hard:
        paragraphs.append("Every seed gets every pattern.")
    return Section(
        heading=f"{e.experiment}: {e.description}",
        anchor=e.experiment,
        paragraphs=paragraphs,
        pictures=[
            Picture(e.figures.accuracy, f"{e.experiment} accuracy"),
            Picture(e.figures.curves, f"{e.experiment} training"),
        ],
        list_title="Hardest patterns:" if hard else "",
        items=hard,
    )


def sections(document: ReproductionDocument) -> list[Section]:
    first = Section(
        heading=TITLE,
        paragraphs=[_intro(document)],
        columns=tuple(COLUMNS.values()),
        rows=[[row[key] for key in COLUMNS] for row in summary_rows(document)],
        pictures=[Picture(OVERVIEW, "every experiment's spread")],
    )
    return [first, *(_experiment_section(e) for e in document.experiments)]


# --- files --------------------------------------------------------------------------------------


def figures(document: ReproductionDocument) -> dict[str, bytes]:
    pictures = {
        OVERVIEW: overview_figure(
            [(e.experiment, [s.accuracy for s in e.per_seed], e.tutorial_accuracy * 100) for e in document.experiments]
        )
    }
    for e in document.experiments:
        seeds = len(e.per_seed)
        pictures[e.figures.accuracy] = accuracy_figure(
            accuracy_title(e.experiment, seeds),
            [s.accuracy for s in e.per_seed],
            e.tutorial_accuracy * 100,
            e.train_patterns,
        )
        pictures[e.figures.curves] = curves_figure(curves_title(e.experiment, seeds), e.curves.loss, e.curves.accuracy)
    return pictures


def report(document: ReproductionDocument) -> Report:
    v = document.versions
    return Report(TITLE, sections(document), " ".join(document.command), f"lstmlab {v['lstmlab']}, jax {v['jax']}")


def report_files(document: ReproductionDocument) -> dict[str, bytes]:
    """Every file of the report folder: relative path -> bytes, in English, as its text is
    (the figures follow the language they are drawn in)."""
    with speaking("en"):
        return page.report_files(report(document), figures(document), document)
