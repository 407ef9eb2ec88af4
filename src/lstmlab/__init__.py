"""lstmlab: learn and study how an LSTM learns sequences.

The public names below load their module on first use (PEP 562), so `import lstmlab.config`
or the command line's start does not pay for JAX and matplotlib.
"""

import importlib
import sys

__version__ = "0.1.0"

_PUBLIC = {
    "lstmlab.config": ("Config", "load_config", "changed_settings"),
    "lstmlab.data": ("Dataset", "Patterns", "make_dataset", "read_sequence"),
    "lstmlab.errors": ("ConfigError", "DataError", "LstmlabError", "ModelFileError"),
    "lstmlab.experiments": ("EXPERIMENTS",),
    "lstmlab.generation": ("Generation", "generate", "seeded_generations"),
    "lstmlab.reading": ("next_probabilities",),
    "lstmlab.prediction": ("Prediction", "predict"),
    "lstmlab.heatmap": ("save_heatmap",),
    "lstmlab.inspection": ("Inspection", "inspect"),
    "lstmlab.persist": ("load", "save"),
    "lstmlab.keras_read": ("import_keras",),
    "lstmlab.keras_write": ("export_keras",),
    "lstmlab.reproduction": ("ReproductionDocument",),
    "lstmlab.report": ("reproduce",),
    "lstmlab.catalogue": ("experiment_list",),
    "lstmlab.comparison": ("compare_cells",),
    "lstmlab.gradient_flow": ("gradients",),
    "lstmlab.runner": ("RunResult", "run"),
    "lstmlab.results": ("RunDocument", "run_document", "run_distribution", "run_experiment"),
    "lstmlab.runtime": ("enable_compile_cache", "use_cpu_cores"),
    "lstmlab.seeds": ("parse_seeds",),
    "lstmlab.stats": ("Summary", "distribution", "histogram", "summarize"),
    "lstmlab.model": ("Model", "models_of"),
    "lstmlab.training": ("make_train", "train"),
}
_HOME = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value  # the next look-up is an ordinary attribute
        return value
    raise AttributeError(f"module 'lstmlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


# Shown as HTML in a notebook (lstmlab.notebook): matched by (module, class name), so that
# registering them loads nothing; the renderer and matplotlib load when one is first shown.
_SHOWN_IN_NOTEBOOKS = (
    ("lstmlab.runner", "RunResult"),
    ("lstmlab.results", "RunDocument"),
    ("lstmlab.stats", "Distribution"),
    ("lstmlab.inspection", "Inspection"),
    ("lstmlab.comparison", "ComparisonDocument"),
    ("lstmlab.gradient_flow", "GradientsDocument"),
    ("lstmlab.reproduction", "ReproductionDocument"),
)


def _notebook_html(value) -> str:
    from lstmlab.notebook import html

    return html(value)


def show_in_notebook(shell) -> None:
    """Register lstmlab's results with an IPython shell's HTML formatter. `import lstmlab`
    does it when IPython (Jupyter) is running; call it for a shell started afterwards."""
    formatter = shell.display_formatter.formatters["text/html"]
    for module, name in _SHOWN_IN_NOTEBOOKS:
        formatter.for_type_by_name(module, name, _notebook_html)


if "IPython" in sys.modules and sys.modules["IPython"].get_ipython() is not None:
    show_in_notebook(sys.modules["IPython"].get_ipython())
