"""The compare report: what the sections of a `ComparisonDocument`'s report hold (render.page
writes them as Markdown and HTML), with its two figures. `lstmlab.sweeps.compare_jobs.compare`
runs the sweep and writes it."""


from lstmlab.i18n import speaking
from lstmlab.render import page
from lstmlab.render.figures import sequences_figure, solved_figure
from lstmlab.render.page import Picture, Report, Section
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


def sections(document: ComparisonDocument) -> list[Section]:
    return [
        Section(heading=f"lstmlab compare: {document.task}", paragraphs=_intro(document)),
        Section(
            heading="Which cells learn across which lag",
            pictures=[Picture(FIGURE_SOLVED, "solved share against lag")],
            items=[line.removeprefix("- ") for line in reach_lines(document)],
        ),
        Section(
            heading="Table",
            columns=COLUMNS,
            rows=[list(row) for row in comparison_rows(document)],
            pictures=[Picture(FIGURE_SEQUENCES, "median sequences to solve")],
        ),
        Section(heading="What differs from the paper", paragraphs=[document.differences]),
    ]


def report_files(document: ComparisonDocument) -> dict[str, bytes]:
    """Every file of the report folder: relative path -> bytes."""
    report = Report(
        f"lstmlab compare: {document.task}",
        sections(document),
        " ".join(document.command),
        f"lstmlab {document.versions['lstmlab']}",
    )
    with speaking("en"):  # the figures in the report's language (they follow the one they are drawn in)
        pictures = {FIGURE_SOLVED: solved_figure(document), FIGURE_SEQUENCES: sequences_figure(document)}
    return page.report_files(report, pictures, document)
