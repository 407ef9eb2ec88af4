"""The reproduce report: one section model of a `ReproductionDocument`, rendered to Markdown
and to a self-contained HTML page, with its figures (`lstmlab.sweeps.experiment_jobs.reproduce`
runs the sweep and writes them).

    sections(document)        - the report's content: headings, paragraphs, the table, pictures
    markdown(...) / html(...) - the same sections in two forms
    report_files(document)    - every file of the report folder: path -> bytes
"""

import base64
import html as html_text
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from lstmlab.render.figures import accuracy_figure, curves_figure, overview_figure
from lstmlab.render.text import COLUMNS, changes_line, percent, settings_line, summary_line, summary_rows
from lstmlab.results.reproduction import ExperimentOutcome, ReproductionDocument

HARD_PATTERNS_SHOWN = 10
OVERVIEW = "figures/overview.png"
TITLE = "lstmlab: the alphabet tutorial over many seeds"


# --- the section model ----------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    path: str  # inside the report folder
    alt: str


@dataclass(frozen=True)
class Section:
    heading: str
    anchor: str = ""
    paragraphs: list[str] = field(default_factory=list)  # plain text; each renderer escapes it
    table: list[dict[str, str]] | None = None  # rows of COLUMNS
    pictures: list[Picture] = field(default_factory=list)
    list_title: str = ""
    items: list[str] = field(default_factory=list)


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
        table=summary_rows(document),
        pictures=[Picture(OVERVIEW, "every experiment's spread")],
    )
    return [first, *(_experiment_section(e) for e in document.experiments)]


def _footer(document: ReproductionDocument) -> tuple[str, str]:
    v = document.versions
    return " ".join(document.command), f"lstmlab {v['lstmlab']}, jax {v['jax']}"


# --- Markdown -------------------------------------------------------------------------------


def markdown(document: ReproductionDocument) -> str:
    out = []
    for index, s in enumerate(sections(document)):
        out += [f"{'#' if index == 0 else '##'} {s.heading}", ""]
        if index == 0:
            out += [*s.paragraphs, ""]
        else:
            out += [p for paragraph in s.paragraphs for p in (paragraph, "")]
        if s.table is not None:
            out.append("| " + " | ".join(COLUMNS.values()) + " |")
            out.append("|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|")
            out += ["| " + " | ".join(row[key] for key in COLUMNS) + " |" for row in s.table]
            out.append("")
        for picture in s.pictures:
            out += [f"![{picture.alt}]({picture.path})", ""]
        if s.items:
            out += [s.list_title, "", *(f"- {item}" for item in s.items), ""]
    command, versions = _footer(document)
    out += ["---", "", f"Made by `{command}`; {versions}.", ""]
    return "\n".join(out)


# --- HTML -------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: 0.5rem 0; }
code { background: #f3f3f3; padding: 0 0.2rem; }
"""


def html(document: ReproductionDocument, pictures: dict[str, bytes]) -> str:
    """One self-contained page: every picture is a data: URI, nothing is fetched."""
    e = html_text.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(TITLE)}</title>",
        f"<style>{STYLE}</style></head><body>",
    ]
    for index, s in enumerate(sections(document)):
        anchor = f' id="{e(s.anchor)}"' if s.anchor else ""
        out.append(f"<h{1 if index == 0 else 2}{anchor}>{e(s.heading)}</h{1 if index == 0 else 2}>")
        out.append("<p>" + "<br>\n".join(e(p) for p in s.paragraphs) + "</p>")
        if s.table is not None:
            out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in COLUMNS.values()) + "</tr></thead>")
            out += ["<tr>" + "".join(f"<td>{e(row[key])}</td>" for key in COLUMNS) + "</tr>" for row in s.table]
            out.append("</table>")
        for picture in s.pictures:
            data = base64.b64encode(pictures[picture.path]).decode("ascii")
            out.append(f'<img alt="{e(picture.alt)}" src="data:image/png;base64,{data}">')
        if s.items:
            out.append(f"<p>{e(s.list_title)}</p><ul>" + "".join(f"<li>{e(item)}</li>" for item in s.items) + "</ul>")
    command, versions = _footer(document)
    out += [f"<hr><p>Made by <code>{e(command)}</code>; {e(versions)}.</p>", "</body></html>"]
    return "\n".join(out) + "\n"


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
            f"{e.experiment}: accuracy of {seeds} seeds",
            [s.accuracy for s in e.per_seed],
            e.tutorial_accuracy * 100,
            e.train_patterns,
        )
        pictures[e.figures.curves] = curves_figure(
            f"{e.experiment}: training over {seeds} seeds", e.curves.loss, e.curves.accuracy
        )
    return pictures


def report_files(document: ReproductionDocument) -> dict[str, bytes]:
    """Every file of the report folder: relative path -> bytes."""
    pictures = figures(document)
    return {
        "report.md": markdown(document).encode("utf-8"),
        "report.html": html(document, pictures).encode("utf-8"),
        "results.json": (json.dumps(document.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
    } | pictures

