"""lstmlab: learn and study how an LSTM learns sequences.

The public names below load their module on first use (PEP 562), so `import lstmlab.settings.config`
or the command line's start does not pay for JAX and matplotlib.
"""

import importlib
import sys

__version__ = "0.1.0"

# The package's layers, lowest first: one subpackage each, and a module imports only from its
# own layer and those below. The modules at the package's root (errors, i18n, document,
# user_files) are below them all. tests/test_layers.py holds every module to this order.
LAYERS = ("settings", "engine", "model", "results", "render", "sweeps", "server", "cli")

_PUBLIC = {
    "lstmlab.settings.config": ("Config", "load_config", "changed_settings"),
    "lstmlab.engine.data": ("Dataset", "Patterns", "make_dataset"),
    "lstmlab.settings.request": ("read_sequence",),
    "lstmlab.errors": ("ConfigError", "DataError", "LstmlabError", "ModelFileError"),
    "lstmlab.settings.experiments": ("EXPERIMENTS",),
    "lstmlab.model.generation": ("Generation", "generate", "seeded_generations"),
    "lstmlab.model.reading": ("next_probabilities",),
    "lstmlab.model.prediction": ("Prediction", "predict"),
    "lstmlab.render.heatmap": ("save_heatmap",),
    "lstmlab.model.inspection": ("Inspection", "inspect"),
    "lstmlab.model.persist": ("load", "save"),
    "lstmlab.model.keras_read": ("import_keras",),
    "lstmlab.model.keras_write": ("export_keras",),
    "lstmlab.results.reproduction": ("ReproductionDocument",),
    "lstmlab.sweeps.experiment_jobs": ("reproduce",),
    "lstmlab.results.catalogue": ("experiment_list",),
    "lstmlab.results.comparison": ("compare_cells",),
    "lstmlab.results.gradient_flow": ("gradients",),
    "lstmlab.results.training_step": ("TrainingStep", "training_step"),
    "lstmlab.engine.runner": ("RunResult", "run"),
    "lstmlab.results.run": ("RunDocument", "run_document", "run_distribution", "run_experiment"),
    "lstmlab.engine.runtime": ("enable_compile_cache", "use_cpu_cores"),
    "lstmlab.settings.seeds": ("parse_seeds",),
    "lstmlab.results.stats": ("Summary", "distribution", "histogram", "summarize"),
    "lstmlab.model.trained": ("Model", "models_of"),
    "lstmlab.engine.training": ("make_train", "train"),
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


# Shown as HTML in a notebook (lstmlab.render.notebook): matched by (module, class name), so that
# registering them loads nothing; the renderer and matplotlib load when one is first shown.
_SHOWN_IN_NOTEBOOKS = (
    ("lstmlab.engine.runner", "RunResult"),
    ("lstmlab.results.run", "RunDocument"),
    ("lstmlab.results.stats", "Distribution"),
    ("lstmlab.model.inspection", "Inspection"),
    ("lstmlab.results.comparison", "ComparisonDocument"),
    ("lstmlab.results.gradient_flow", "GradientsDocument"),
    ("lstmlab.results.reproduction", "ReproductionDocument"),
)


def _notebook_html(value) -> str:
    from lstmlab.render.notebook import html

    return html(value)


def show_in_notebook(shell) -> None:
    """Register lstmlab's results with an IPython shell's HTML formatter. `import lstmlab`
    does it when IPython (Jupyter) is running; call it for a shell started afterwards."""
    formatter = shell.display_formatter.formatters["text/html"]
    for module, name in _SHOWN_IN_NOTEBOOKS:
        formatter.for_type_by_name(module, name, _notebook_html)


if "IPython" in sys.modules and sys.modules["IPython"].get_ipython() is not None:
    show_in_notebook(sys.modules["IPython"].get_ipython())
