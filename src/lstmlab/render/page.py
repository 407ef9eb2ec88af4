"""The one report writer: a report as a list of sections, written as Markdown and as one
self-contained HTML page (every picture a data: URI, nothing fetched), with its results.json.
`reproduce` and `compare` each say only what their sections hold (render.report,
render.compare_report).

    Section, Picture         - a report's content: headings, paragraphs, a table, pictures, a list
    markdown(...) / html(...) - the same sections in two forms
    report_files(...)         - every file of a report folder: path -> bytes
"""

import base64
import html as html_text
import json
from dataclasses import dataclass, field

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: 0.5rem 0; }
code { background: #f3f3f3; padding: 0 0.2rem; }
"""


@dataclass(frozen=True)
class Picture:
    path: str  # inside the report folder
    alt: str


@dataclass(frozen=True)
class Section:
    """One heading and what follows it, in this order. Text is plain; each writer escapes it."""

    heading: str
    anchor: str = ""
    paragraphs: list[str] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # a table's headers: the first column reads left, the others right
    rows: list[list[str]] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    list_title: str = ""
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    title: str  # the page's title; the first section's heading is the page's one h1
    sections: list[Section]
    command: str  # what made it
    versions: str


def markdown(report: Report) -> str:
    out = []
    for index, s in enumerate(report.sections):
        out += [f"{'#' if index == 0 else '##'} {s.heading}", ""]
        out += [p for paragraph in s.paragraphs for p in (paragraph, "")]
        if s.columns:
            out.append("| " + " | ".join(s.columns) + " |")
            out.append("|" + "|".join(["---"] + ["---:"] * (len(s.columns) - 1)) + "|")
            out += ["| " + " | ".join(row) + " |" for row in s.rows]
            out.append("")
        for picture in s.pictures:
            out += [f"![{picture.alt}]({picture.path})", ""]
        if s.items:
            out += [s.list_title, ""] if s.list_title else []
            out += [*(f"- {item}" for item in s.items), ""]
    out += ["---", "", f"Made by `{report.command}`; {report.versions}.", ""]
    return "\n".join(out)


def html(report: Report, pictures: dict[str, bytes]) -> str:
    e = html_text.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title)}</title>",
        f"<style>{STYLE}</style></head><body>",
    ]
    for index, s in enumerate(report.sections):
        level, anchor = 1 if index == 0 else 2, f' id="{e(s.anchor)}"' if s.anchor else ""
        out.append(f"<h{level}{anchor}>{e(s.heading)}</h{level}>")
        out += [f"<p>{e(paragraph)}</p>" for paragraph in s.paragraphs]
        if s.columns:
            out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in s.columns) + "</tr></thead>")
            out += ["<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in s.rows]
            out.append("</table>")
        for picture in s.pictures:
            data = base64.b64encode(pictures[picture.path]).decode("ascii")
            out.append(f'<img alt="{e(picture.alt)}" src="data:image/png;base64,{data}">')
        if s.items:
            title = f"<p>{e(s.list_title)}</p>" if s.list_title else ""
            out.append(title + "<ul>" + "".join(f"<li>{e(item)}</li>" for item in s.items) + "</ul>")
    out += [f"<hr><p>Made by <code>{e(report.command)}</code>; {e(report.versions)}.</p>", "</body></html>"]
    return "\n".join(out) + "\n"


def report_files(report: Report, pictures: dict[str, bytes], document) -> dict[str, bytes]:
    """Every file of a report folder: relative path -> bytes (`document`: what results.json holds)."""
    return {
        "report.md": markdown(report).encode("utf-8"),
        "report.html": html(report, pictures).encode("utf-8"),
        "results.json": (json.dumps(document.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
    } | pictures
