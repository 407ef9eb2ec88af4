"""The compare report: a `ComparisonDocument` as Markdown and a self-contained HTML page with
its two figures (`lstmlab.sweeps.compare_jobs.compare` runs the sweep and writes them)."""

import base64
import html as html_text
import json

from lstmlab.render.figures import sequences_figure, solved_figure
from lstmlab.render.report import STYLE  # one look for every report lstmlab writes
from lstmlab.render.tasks import comparison_rows, reach_lines
from lstmlab.results.comparison import FIGURES, ComparisonDocument

COLUMNS = ("cell", "lag", "solved", "median sequences", "fastest–slowest", "seconds")
FIGURE_SOLVED, FIGURE_SEQUENCES = FIGURES


def _intro(document: ComparisonDocument) -> list[str]:
    settings = document.settings
    return [
        f"{document.task} (Exp. {document.paper.experiment} of the 1997 LSTM paper): {document.summary}.",
        f"Every cell at every lag over {len(document.seeds)} seeds; each seed trains online "
        f"({settings['optimizer']}, learning rate {settings['learning_rate']:g}, {settings['units']} units, "
        f"batch {settings['batch_size']}) until solved or {settings['budget']:,} training sequences, "
        f"checked every {document.check_every:,} sequences.",
        f"Solved when: {document.criterion}.",
        f"The paper's LSTM: {document.paper.result} ({document.paper.citation}).",
    ]


def markdown(document: ComparisonDocument) -> str:
    out = [f"# lstmlab compare: {document.task}", "", *(p for line in _intro(document) for p in (line, ""))]
    out += ["## Which cells learn across which lag", ""]
    out += [f"![solved share against lag]({FIGURE_SOLVED})", "", *reach_lines(document), ""]
    out += ["## Table", "", "| " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * (len(COLUMNS) - 1)]
    out += ["| " + " | ".join(row) + " |" for row in comparison_rows(document)]
    out += ["", f"![median sequences to solve]({FIGURE_SEQUENCES})", ""]
    out += ["## What differs from the paper", "", document.differences, "", "---", ""]
    out += [f"Made by `{' '.join(document.command)}`; lstmlab {document.versions['lstmlab']}.", ""]
    return "\n".join(out)



def html(document: ComparisonDocument, pictures: dict[str, bytes]) -> str:
    """One self-contained page: the figures are data: URIs, nothing is fetched."""
    e = html_text.escape

    def image(path: str, alt: str) -> str:
        return f'<img alt="{e(alt)}" src="data:image/png;base64,{base64.b64encode(pictures[path]).decode("ascii")}">'

    out = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>lstmlab compare: {e(document.task)}</title><style>{STYLE}</style></head><body>",
        f"<h1>lstmlab compare: {e(document.task)}</h1>",
        *(f"<p>{e(line)}</p>" for line in _intro(document)),
        "<h2>Which cells learn across which lag</h2>",
        image(FIGURE_SOLVED, "solved share against lag"),
        "<ul>" + "".join(f"<li>{e(line.removeprefix('- '))}</li>" for line in reach_lines(document)) + "</ul>",
        "<h2>Table</h2><table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS) + "</tr></thead>",
        *("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in comparison_rows(document)),
        "</table>",
        image(FIGURE_SEQUENCES, "median sequences to solve"),
        f"<h2>What differs from the paper</h2><p>{e(document.differences)}</p>",
        f"<hr><p>Made by <code>{e(' '.join(document.command))}</code>; lstmlab {e(document.versions['lstmlab'])}.</p>",
        "</body></html>",
    ]
    return "\n".join(out) + "\n"


def report_files(document: ComparisonDocument) -> dict[str, bytes]:
    pictures = {FIGURE_SOLVED: solved_figure(document), FIGURE_SEQUENCES: sequences_figure(document)}
    return {
        "report.md": markdown(document).encode("utf-8"),
        "report.html": html(document, pictures).encode("utf-8"),
        "results.json": (json.dumps(document.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
    } | pictures

