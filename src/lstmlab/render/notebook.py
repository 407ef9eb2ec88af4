"""Results in a Jupyter notebook: each as one HTML fragment, its tables as tables and its
pictures inline (PNG data URIs), built from the same pieces the terminal and the reports use.

    html(value) - the fragment for a run (a `RunResult` or its `RunDocument`), a distribution,
                  an inspection, a comparison, a gradients measurement or a reproduction

`lstmlab/__init__.py` registers `html` with IPython's HTML formatter by type name when IPython
is running, so a notebook cell that ends with one of these shows it, and nothing here (nor
matplotlib) loads until one is shown.
"""

import base64
import html as html_text

from lstmlab.engine.runner import RunResult
from lstmlab.i18n import _, ngettext, translate
from lstmlab.model.generation import StatefulDemonstrations, demonstrations_of
from lstmlab.model.inspection import Inspection, memory, summarise
from lstmlab.render.figures import (
    accuracy_figure,
    accuracy_title,
    gradients_figure,
    overview_figure,
    sequences_figure,
    solved_figure,
)
from lstmlab.render.heatmap import heatmap_png
from lstmlab.render.tasks import comparison_rows, distances_shown, model_state, reach_lines
from lstmlab.render.text import (
    COLUMNS,
    accuracy_line,
    bar,
    changes_line,
    percent,
    settings_line,
    shown,
    summary_rows,
    timing_line,
)
from lstmlab.results.comparison import ComparisonDocument
from lstmlab.results.gradient_flow import GradientsDocument
from lstmlab.results.reproduction import ReproductionDocument
from lstmlab.results.run import RunDocument, run_document
from lstmlab.results.stats import Distribution, Summary
from lstmlab.settings.experiments import EXPERIMENTS

PREDICTIONS_SHOWN = 30  # more rows than this (variable-length's 1000 runs): the tutorial's random sample
PATTERNS_SHOWN = 30  # more distinct patterns than this: the hardest ones

e = html_text.escape


def html(value) -> str:
    """The HTML fragment a notebook shows for `value` (one of the types in `SHOWN`)."""
    for kind, render in RENDERERS:
        if isinstance(value, kind):
            return render(value)
    raise TypeError(f"lstmlab.render.notebook.html: no HTML view of {type(value).__name__}")


# --- pieces -------------------------------------------------------------------------------------


def image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A plain table; the columns in `numeric` align right."""

    def cell(tag: str, index: int, text: str) -> str:
        align = ' style="text-align: right"' if index in numeric else ' style="text-align: left"'
        return f"<{tag}{align}>{e(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(*lines: str) -> str:
    return "<p>" + "<br>".join(e(line) for line in lines) + "</p>"


def section(*parts: str) -> str:
    return '<div class="lstmlab">' + "\n".join(part for part in parts if part) + "</div>"


# --- a run ------------------------------------------------------------------------------------------


def prediction_table(rows) -> str:
    expected = _("✗ expected {target}")
    return table(
        [_("input"), _("predicted"), "p", _("right?")],
        [[r.input, shown(r.predicted), f"{r.probability:.3f}", "✓" if r.correct else expected.format(target=r.target)]
         for r in rows],
        numeric={2},
    )


def summary_table(summaries: list[tuple[str, Summary]]) -> str:
    rows = [
        [
            label,
            str(s.seeds),
            percent(s.mean),
            percent(s.median),
            percent(s.minimum),
            percent(s.maximum),
            f"{s.std * 100:.2f}",
            f"{s.perfect}/{s.seeds} ({s.perfect_share * 100:.0f}%)",
        ]
        for label, s in summaries
    ]
    headers = [_("accuracy"), _("seeds"), _("mean"), _("median"), _("min"), _("max"), _("std (points)"),
               _("seeds at 100%")]
    return table(headers, rows, numeric=set(range(1, 8)))


def distribution_html(dist: Distribution, figure: str = "") -> str:
    """The summary, the seeds by accuracy (the picture when given, else bars), and per pattern
    how many seeds predict it right (the hardest, when there are many)."""
    summaries = [(_("training patterns"), dist.summary)]
    if dist.holdout is not None:
        summaries.append((_("held-out patterns"), dist.holdout))
    largest = max(b.count for b in dist.histogram)
    bins = table([_("accuracy"), _("seeds"), ""],
                 [[b.label, str(b.count), bar(b.count, largest)] for b in dist.histogram], numeric={1})
    patterns = dist.patterns
    if len(patterns) > PATTERNS_SHOWN:
        listed = sorted(patterns, key=lambda p: (p.hits, p.input))[:PATTERNS_SHOWN]
        title = _("Per pattern, seeds that predict it right (the {limit} hardest of {n}):")
        title = title.format(limit=PATTERNS_SHOWN, n=len(patterns))
    else:
        listed, title = patterns, _("Per pattern, seeds that predict it right:")
    per_pattern = table(
        [_("input"), _("target"), _("seeds right"), ""],
        [[p.input, p.target, f"{p.hits}/{p.seeds}", bar(p.hits, p.seeds, 20)] for p in listed],
        numeric={2},
    )
    return section(summary_table(summaries), figure or bins, paragraph(title), per_pattern)


def demonstrations_html(document: StatefulDemonstrations) -> str:
    parts = []
    for demonstration in document.generations:
        steps = demonstration.generation.steps
        parts.append(paragraph(translate(demonstration.title)))
        parts.append(table([_("input"), _("predicted"), "p"],
                           [[s.input, s.predicted, f"{s.probability:.3f}"] for s in steps], numeric={2}))
    return section(*parts, paragraph(translate(document.explanation)))


def run_html(document: RunDocument) -> str:
    first = document.seeds[0]
    parts = [
        f"<h4>{e(document.experiment)}: {e(translate(document.description))}</h4>",
        paragraph(settings_line(document.settings)),
    ]
    if document.changed_settings:
        changed = _("Changed from the tutorial: {changes}.")
        parts.append(paragraph(changed.format(changes=changes_line(document.changed_settings))))
    experiment = EXPERIMENTS.get(document.experiment)
    tutorial = experiment.tutorial_accuracy if experiment is not None else None
    if document.statistics is not None:
        accuracies = [s.accuracy for s in document.seeds]
        title = accuracy_title(document.experiment, len(accuracies))
        picture = image(accuracy_figure(title, accuracies, tutorial, document.train_patterns), title)
        parts.append(distribution_html(document.statistics, picture))
    else:
        lines = [accuracy_line(first.accuracy)]
        if tutorial is not None:
            lines.append(_("The tutorial reported {accuracy:.2f}%.").format(accuracy=tutorial))
        if first.holdout_accuracy is not None:
            lines.append(accuracy_line(first.holdout_accuracy, _("Held-out Accuracy")))
        parts.append(paragraph(*lines))
        rows = first.predictions
        if len(rows) > PREDICTIONS_SHOWN:
            sample = _("{n} training patterns; the tutorial's {k} drawn at random:")
            parts.append(paragraph(sample.format(n=len(rows), k=len(document.random_sample))))
            rows = [rows[i] for i in document.random_sample]
        parts.append(prediction_table(rows))
        if first.holdout_predictions:
            held_out = _("Held-out patterns (never trained on):")
            parts += [paragraph(held_out), prediction_table(first.holdout_predictions)]
        if document.demonstrations is not None:
            parts.append(demonstrations_html(document.demonstrations))
    parts.append(paragraph(timing_line(document.timing)))
    return section(*parts)


def run_result_html(result: RunResult) -> str:
    """A run as `lstmlab run` shows it, the stateful demonstrations included."""
    return run_html(run_document(result, demonstrations_of(result), command=()))


# --- inside the cell ----------------------------------------------------------------------------


def inspection_html(inspection: Inspection) -> str:
    steps = inspection.steps
    cell = "" if inspection.cell == "lstm" else ", " + _("cell {value}").format(value=inspection.cell)
    counts = ngettext("{steps} step, {units} units", "{steps} steps, {units} units", steps)
    head = (f"{inspection.input} -> {shown(inspection.predicted)}  (p = {inspection.probability:.4f}); "
            + counts.format(steps=steps, units=inspection.units) + cell)
    gates, kept = inspection.gates, memory(inspection)
    rows = [
        [str(t + 1), shown(row.label), *(f"{row.gates[name]:.3f}" for name in gates),
         " ".join(f"u{unit} {delta:+.2f}" for unit, delta in row.changes)]
        for t, row in enumerate(summarise(inspection))
    ]
    headers = ["t", _("input"), *gates, _("largest Δ{kept} (unit Δ{kept})").format(kept=kept)]
    picture = image(heatmap_png(inspection), _("gates and states of {text}").format(text=repr(inspection.input)))
    caption = _("Gates: mean over units, 0 shut .. 1 open (g: -1 .. 1). Heatmaps: rows are units, columns the steps.")
    return section(paragraph(head), table(headers, rows, numeric=set(range(2, 2 + len(gates)))), paragraph(caption),
                   picture)


# --- the paper's tasks ----------------------------------------------------------------------------


def comparison_intro(document: ComparisonDocument) -> list[str]:
    """The compare report's opening sentences (`compare_report._intro`), in the current language."""
    settings, paper = document.settings, document.paper
    task = _("{task} (Exp. {experiment} of the 1997 LSTM paper): {summary}").format(
        task=document.task, experiment=paper.experiment, summary=translate(document.summary)
    )
    every = _(
        "Every cell at every lag over {n} seeds; each seed trains online ({optimizer}, learning rate {rate:g}, "
        "{units} units, batch {batch}) until solved or {budget:,} training sequences, checked every {every:,} "
        "sequences."
    )
    return [
        task + ".",
        every.format(n=len(document.seeds), optimizer=settings["optimizer"], rate=settings["learning_rate"],
                     units=settings["units"], batch=settings["batch_size"], budget=settings["budget"],
                     every=document.check_every),
        _("Solved when: {criterion}.").format(criterion=translate(document.criterion)),
        _("The paper's LSTM: {result} ({citation}).").format(result=translate(paper.result), citation=paper.citation),
    ]


def comparison_html(document: ComparisonDocument) -> str:
    columns = [_("cell"), _("lag"), _("solved"), _("median sequences"), _("fastest–slowest"), _("seconds")]
    return section(
        *(paragraph(line) for line in comparison_intro(document)),
        image(solved_figure(document), _("solved share against lag")),
        "<ul>" + "".join(f"<li>{e(line.removeprefix('- '))}</li>" for line in reach_lines(document)) + "</ul>",
        table(columns, [list(row) for row in comparison_rows(document)], numeric={1, 2, 3, 4, 5}),
        image(sequences_figure(document), _("median sequences to solve")),
    )


def gradients_html(document: GradientsDocument) -> str:
    distances = distances_shown(len(document.curves[0].hidden.median))
    rows = []
    for curve in document.curves:
        state = model_state(curve, len(document.seeds))
        rows.append([curve.cell, state, *(f"{curve.hidden.median[k]:.1e}" for k in distances)])
    lag = ", " + _("lag {value}").format(value=document.lag) if document.lag is not None else ""
    title = _("{task}{lag}: |dL/dh| k steps before the last (median over {n} seeds)")
    title = title.format(task=document.task, lag=lag, n=len(document.seeds))
    if any(c.trained for c in document.curves):
        averaged = _("Averaged over {sequences} held-out sequences per seed; trained for up to {budget:,} sequences.")
    else:
        averaged = _("Averaged over {sequences} held-out sequences per seed.")
    return section(
        paragraph(title),
        table([_("cell"), _("model"), *(f"k={k}" for k in distances)], rows,
              numeric=set(range(2, 2 + len(distances)))),
        image(gradients_figure(document), _("the gradient k steps back, per cell")),
        paragraph(averaged.format(sequences=document.sequences, budget=document.budget)),
    )


def reproduction_html(document: ReproductionDocument) -> str:
    rows = summary_rows(document)
    spread = [(o.experiment, [s.accuracy for s in o.per_seed], o.tutorial_accuracy * 100) for o in document.experiments]
    headers = {  # render_text.COLUMNS, in the current language
        "experiment": _("experiment"),
        "tutorial": _("tutorial"),
        "median": _("our median"),
        "min–max": _("min–max"),
        "std": _("std (points)"),
        "at 100%": _("seeds at 100%"),
        "train s": _("train s"),
    }
    return section(
        paragraph(_("The tutorial over {n} seeds:").format(n=len(document.seeds))),
        table([headers.get(key, COLUMNS[key]) for key in COLUMNS], [[row[key] for key in COLUMNS] for row in rows],
              numeric=set(range(1, 7))),
        image(overview_figure(spread), _("every experiment's spread")),
    )


RENDERERS = (
    (RunResult, run_result_html),
    (RunDocument, run_html),
    (Distribution, distribution_html),
    (Inspection, inspection_html),
    (ComparisonDocument, comparison_html),
    (GradientsDocument, gradients_html),
    (ReproductionDocument, reproduction_html),
)
