"""lstmlab: learn and study how an LSTM learns sequences.

The public names below load their module on first use (PEP 562), so `import lstmlab.config`
or the command line's start does not pay for JAX and matplotlib.
"""

import importlib

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
    "lstmlab.reproduction": ("ReproductionDocument",),
    "lstmlab.report": ("reproduce",),
    "lstmlab.catalogue": ("experiment_list",),
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
