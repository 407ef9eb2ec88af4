"""Documents as terminal text: `lines(document)` gives what the command line prints.

Plain strings print as they are (no markup); Rich tables where a table reads better.
Nothing here computes a result: every number comes from the document.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from lstmlab.document import Document
from lstmlab.i18n import _, ngettext, translate
from lstmlab.render.tasks import TASK_RENDERERS, cell_label, task_list_lines

if TYPE_CHECKING:  # only for the annotations: `lstmlab list` should not pay for numpy
    from lstmlab.results.stats import Bin, Distribution, PatternHits, Summary

PAIRS_SHOWN = 30  # the variable-length data has 1000 pairs: show the head and count the rest
BAR = 40  # characters of the longest histogram bar
PATTERNS_SHOWN = 30  # more distinct patterns than this: show the hardest ones only


def shown(symbol: str) -> str:
    """A symbol as a reader can see it: spaces, line breaks and other invisible ones quoted."""
    return symbol if symbol.isprintable() and not symbol.isspace() else repr(symbol)


def lines(document: Document) -> list:
    """What the command line prints for `document`: strings and Rich tables, in order."""
    return RENDERERS[document.kind](document)


# --- pieces shared by several documents ------------------------------------------------------


def settings_line(settings: dict) -> str:
    length = settings["seq_length"]
    window = _("runs of 1..{n}") if settings["data"] == "runs" else _("window {n}")
    batch = _("all") if settings["batch_size"] is None else str(settings["batch_size"])
    cell = cell_label(settings)
    parts = [
        window.format(n=length),
        _("framing {value}").format(value=settings["framing"]),
        *([_("cell {value}").format(value=cell)] if cell != "lstm" else []),
        _("units {value}").format(value=settings["units"]),
        _("epochs {value}").format(value=settings["epochs"]),
        _("batch {value}").format(value=batch),
        _("shuffle on") if settings["shuffle"] else _("shuffle off"),
    ]
    if settings["stateful"]:
        parts.append(_("stateful"))
    if settings["data"] == "runs":
        parts.append(_("padding {value}").format(value=settings["padding"]))
    if settings["holdout"]:
        parts.append(_("holdout {value:g}").format(value=settings["holdout"]))
    if settings["encoding"] != "scalar":
        parts.append(_("encoding {value}").format(value=settings["encoding"]))
    if settings["recurrent_activation"] != "sigmoid":
        parts.append(settings["recurrent_activation"])
    if settings.get("optimizer", "adam") != "adam" or settings.get("learning_rate", 1e-3) != 1e-3:
        parts.append(f"{settings.get('optimizer', 'adam')} lr {settings['learning_rate']:g}")
    return ", ".join(parts)


def changes_line(changed) -> str:
    """'epochs 2 (the tutorial's: 500), units 8 (the tutorial's: 32)'; a text counts as one change."""
    parts = []
    for c in changed:
        if c.setting == "sequence":
            parts.append(_("a text of its own instead of the alphabet"))
        else:
            change = _("{setting} {used} (the tutorial's: {tutorial})")
            parts.append(
                change.format(setting=c.setting.replace("_", " "), used=_value(c.used), tutorial=_value(c.tutorial))
            )
    return ", ".join(parts)


def _value(value) -> str:
    if value is None:
        return _("all")
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if isinstance(value, str) and len(value) > 30:
        return repr(value[:27] + "…")
    return repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def percent(share: float) -> str:
    return f"{share * 100:.2f}%"


def accuracy_line(accuracy: float, label: str | None = None) -> str:
    return f"{label or _('Model Accuracy')}: {accuracy * 100:.2f}%"


def bar(count: int, largest: int, width: int = BAR) -> str:
    """A bar of `count` out of `largest`, in eighths of a character."""
    if count == 0 or largest == 0:
        return ""
    eighths = max(1, round(count / largest * width * 8))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def summary_line(summary: "Summary", label: str | None = None) -> str:
    line = _(
        "{label} over {seeds} seeds: mean {mean}, median {median}, min {min}, max {max}, "
        "std {std:.2f} points; {perfect}/{seeds} seeds ({share:.0f}%) at 100%"
    )
    return line.format(
        label=label or _("Accuracy"),
        seeds=summary.seeds,
        mean=percent(summary.mean),
        median=percent(summary.median),
        min=percent(summary.minimum),
        max=percent(summary.maximum),
        std=summary.std * 100,
        perfect=summary.perfect,
        share=summary.perfect_share * 100,
    )


def histogram_lines(bins: "list[Bin]") -> list[str]:
    largest = max(b.count for b in bins)
    width = max(len(b.label) for b in bins)
    return [f"  {b.label:>{width}}  {b.count:>5}  {bar(b.count, largest)}".rstrip() for b in bins]


def pattern_lines(patterns: "list[PatternHits]", limit: int = PATTERNS_SHOWN) -> list[str]:
    """Every pattern in data order, or, when there are many, the hardest `limit`."""
    if len(patterns) <= limit:
        listed, title = patterns, _("Per pattern, seeds that predict it right:")
    else:
        listed = sorted(patterns, key=lambda p: (p.hits, p.input))[:limit]
        title = _("Per pattern, seeds that predict it right (the {limit} hardest of {n}):")
        title = title.format(limit=limit, n=len(patterns))
    width = max(len(p.input) for p in listed)
    seeds = patterns[0].seeds
    digits = len(str(seeds))
    out = [title]
    for p in listed:
        out.append(f"  {p.input:>{width}} -> {p.target}  {p.hits:>{digits}}/{seeds}  {bar(p.hits, seeds, 20)}".rstrip())
    if len(patterns) > limit:
        rest = sorted(p.hits for p in patterns)[limit:]
        more = _("  … and {n} more, each right in at least {hits}/{seeds} seeds")
        out.append(more.format(n=len(rest), hits=rest[0], seeds=seeds))
    return out


def distribution_lines(dist: "Distribution") -> list[str]:
    out = [summary_line(dist.summary)]
    if dist.holdout is not None:
        out.append(summary_line(dist.holdout, _("Held-out accuracy")))
    out.append(_("Seeds by accuracy:"))
    return out + histogram_lines(dist.histogram) + pattern_lines(dist.patterns)


# --- list ---------------------------------------------------------------------------------------


def _list_lines(document) -> list:
    table = Table(title=_("Experiments (lstmlab run NAME)"))
    for column in (_("name"), _("what it learns"), _("settings"), _("tutorial reported")):
        table.add_column(column)
    for e in document.experiments:
        note = f"{e.tutorial_accuracy * 100:.2f}%" + (f"\n{translate(e.tutorial_note)}" if e.tutorial_note else "")
        table.add_row(e.name, translate(e.description), settings_line(e.settings), note)
    notes = (translate(document.note), translate(document.tasks_note))
    return [table, notes[0], "", *task_list_lines(document.tasks), notes[1]]


# --- run ----------------------------------------------------------------------------------------


def pair_lines(pairs: list[tuple[str, str]], limit: int = PAIRS_SHOWN) -> list[str]:
    """The notebook's listing, `ABC -> D`, one (input, target) pattern a line."""
    out = [f"{text} -> {target}" for text, target in pairs[:limit]]
    if len(pairs) > limit:
        more = ngettext("… and {more} more ({n} pair)", "… and {more} more ({n} pairs)", len(pairs))
        out.append(more.format(more=len(pairs) - limit, n=len(pairs)))
    return out


def prediction_line(row) -> str:
    """The notebook's line, `['A', 'B', 'C'] -> D`, with a wrong answer marked."""
    text = f"{list(row.input)} -> {row.predicted}"
    return text if row.correct else f"{text}   " + _("✗ expected {target}").format(target=row.target)


def timing_line(timing) -> str:
    models = ngettext(" × {n} seed", " × {n} seeds", timing.seeds).format(n=timing.seeds) if timing.seeds > 1 else ""
    return _(
        "Trained {steps:,} steps{models} in {seconds:.2f} s "
        "({speed:,.0f} model-steps/s; compiling took {compiling:.2f} s)"
    ).format(
        steps=timing.steps,
        models=models,
        seconds=timing.train_seconds,
        speed=timing.model_steps_per_second,
        compiling=timing.compile_seconds,
    )


def saved_line(document) -> str:
    many = len(document.seeds) > 1
    line = _("Saved to {folder}/seed-<k>/ (one model per seed)") if many else _("Saved to {folder}")
    return line.format(folder=document.saved)


def _run_lines(document) -> list:
    first = document.seeds[0]
    out = [f"{document.experiment}: {translate(document.description)}", settings_line(document.settings)]
    out += pair_lines([(row.input, row.target) for row in first.predictions])
    if document.statistics is not None:
        out += distribution_lines(document.statistics)
    else:
        out.append(accuracy_line(first.accuracy))
        if first.holdout_accuracy is not None:
            out.append(accuracy_line(first.holdout_accuracy, _("Held-out Accuracy")))
        if document.settings["data"] != "runs":  # 1000 random runs: the sample below stands for them
            out += [prediction_line(row) for row in first.predictions]
        if document.random_sample:
            out.append(_("Test a Random Pattern:"))
            out += [prediction_line(first.predictions[i]) for i in document.random_sample]
        if document.demonstrations is not None:
            out += _demonstration_lines(document.demonstrations)
    out.append(timing_line(document.timing))
    if document.saved is not None:
        out.append(saved_line(document))
    return out


# --- predict, generate, inspect --------------------------------------------------------------


def _prediction_lines(document) -> list:
    out = [f"{document.input} -> {shown(document.predicted)}  (p = {document.probability:.4f})"]
    out += [f"  {rank}. {shown(r.symbol)}  {r.probability:.4f}" for rank, r in enumerate(document.top, start=1)]
    return out


def _generation_lines(document) -> list:
    return [document.sequence]


def _demonstration_lines(document) -> list:
    out = []
    for demonstration in document.generations:
        out.append(translate(demonstration.title))
        out += [f"{s.input} -> {s.predicted}" for s in demonstration.generation.steps]
    return out + [translate(document.explanation)]


def _inspection_lines(document) -> list:
    from lstmlab.model.inspection import memory, summarise

    steps = document.steps
    cell = "" if document.cell == "lstm" else ", " + _("cell {value}").format(value=document.cell)
    counts = ngettext("{steps} step, {units} units", "{steps} steps, {units} units", steps)
    out = [
        f"{document.input} -> {shown(document.predicted)}  (p = {document.probability:.4f}); "
        + counts.format(steps=steps, units=document.units)
        + cell
    ]
    gates = document.gates
    opening = ", ".join(name for name in gates if name != "g")
    caption = (
        _("{gates}: mean over units, 0 shut .. 1 open").format(gates=opening)
        if opening
        else _("no gates: a plain recurrent cell")
    )
    caption += _("; g: mean, -1 .. 1") if "g" in gates else ""
    kept = memory(document)
    table = Table(box=box.SIMPLE_HEAD, caption=caption)
    for column in ("t", _("input"), *gates, _("largest Δ{kept} (unit Δ{kept})").format(kept=kept)):
        table.add_column(column, justify="right" if column == "t" or column in gates else "left", no_wrap=True)
    for t, row in enumerate(summarise(document)):
        changes = " ".join(f"u{unit} {delta:+.2f}" for unit, delta in row.changes)
        table.add_row(str(t + 1), shown(row.label), *(f"{row.gates[name]:.3f}" for name in gates), changes)
    out.append(table)
    if document.heatmap is not None:
        heatmap = _("Heatmap: {path} ({width}×{height} px)")
        out.append(
            heatmap.format(path=document.heatmap.path, width=document.heatmap.width, height=document.heatmap.height)
        )
    return out


# --- reproduce ------------------------------------------------------------------------------------

COLUMNS = {
    "experiment": "experiment",
    "tutorial": "tutorial",
    "median": "our median",
    "min–max": "min–max",
    "std": "std (points)",
    "at 100%": "seeds at 100%",
    "train s": "train s",
}


def summary_rows(document) -> list[dict[str, str]]:
    """The report's first table, as text cells: the terminal, the Markdown and the HTML show these."""
    rows = []
    for e in document.experiments:
        s = e.statistics.summary
        rows.append(
            {
                "experiment": e.experiment,
                "tutorial": percent(e.tutorial_accuracy),
                "median": percent(s.median),
                "min–max": f"{percent(s.minimum)}–{percent(s.maximum)}",
                "std": f"{s.std * 100:.2f}",
                "at 100%": f"{s.perfect}/{s.seeds} ({s.perfect_share * 100:.0f}%)",
                "train s": f"{e.train_seconds:.1f}",
            }
        )
    return rows


def table_lines(rows: list[dict[str, str]]) -> list[str]:
    """The first table as aligned plain text, for the terminal (never truncated)."""
    widths = {key: max(len(header), *(len(row[key]) for row in rows)) for key, header in COLUMNS.items()}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(
            cells[key].ljust(widths[key]) if key == "experiment" else cells[key].rjust(widths[key]) for key in COLUMNS
        ).rstrip()

    return [line(COLUMNS), line({key: "─" * widths[key] for key in COLUMNS})] + [line(row) for row in rows]


def _reproduction_lines(document) -> list:
    page = Path(document.report_folder) / "report.html"
    return [
        _("The tutorial over {n} seeds:").format(n=len(document.seeds)),
        *table_lines(summary_rows(document)),
        _("Report: {page} (also report.md, results.json, figures/)").format(page=page),
    ]


RENDERERS = {
    "experiments": _list_lines,
    "run": _run_lines,
    "prediction": _prediction_lines,
    "generation": _generation_lines,
    "stateful-demonstrations": _demonstration_lines,
    "inspection": _inspection_lines,
    "reproduction": _reproduction_lines,
    **TASK_RENDERERS,
}
