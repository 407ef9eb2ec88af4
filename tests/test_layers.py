"""The package reads top-down: no module imports one above it, and the modules a command
line needs before it computes load neither JAX nor matplotlib."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lstmlab"

# Lowest first: settings and data, the network, training, evaluation and asking a model,
# documents, rendering, the command line. A module may import its own layer and those below.
LAYERS = [
    {"errors", "experiments", "paper", "document", "i18n", "user_files"},
    {"config", "seeds"},
    {"data", "tasks"},
    {"cell"},
    {"network"},
    {"runtime", "programs", "training", "until_solved"},
    {"evaluate", "runner", "stats", "reading"},
    {"prediction", "generation", "inspection", "model", "folders", "persist"},
    {"results", "reproduction", "catalogue", "task_results", "comparison", "gradient_flow"},
    {"keras_read", "keras_write"},  # a Keras file in, a Keras file out
    {"sweep", "engines", "engine_ray", "experiment_jobs"},  # a sweep's folder, its jobs, the engines
    {"render_text", "render_tasks", "figures", "heatmap"},
    {"report", "compare_report", "run_sweep"},
    {"notebook"},
    {"server", "server_guard", "server_settings", "server_runs", "server_models", "server_main", "page_text"},
    {"cli", "cli_text"},
]
LAYER = {name: index for index, names in enumerate(LAYERS) for name in names}


def lstmlab_imports(path: Path) -> set[str]:
    """Every lstmlab module `path` imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lstmlab"):
            if node.module == "lstmlab":
                names |= {alias.name for alias in node.names if alias.name in LAYER}
            else:
                names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("lstmlab.")}
    return names


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYER)


@pytest.mark.parametrize("module", sorted(LAYER))
def test_no_module_imports_one_above_it(module):
    above = {name for name in lstmlab_imports(PACKAGE / f"{module}.py") if LAYER[name] > LAYER[module]}
    assert above == set(), f"{module} (layer {LAYER[module]}) imports {above}"


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('loaded:', *(m for m in ('jax', 'matplotlib', 'optax') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.splitlines()[-1].removeprefix("loaded:").split())


def test_settings_and_the_command_line_start_without_jax_or_matplotlib():
    assert loaded_after("import lstmlab.experiments, lstmlab.config, lstmlab.seeds") == set()
    assert loaded_after("import lstmlab.cli") == set()
    assert loaded_after("import lstmlab; lstmlab.__version__") == set()


def test_list_and_help_run_without_jax():
    code = (
        "import sys\nfrom lstmlab.cli import app\n"
        "for args in (['--help'], ['--version'], ['list'], ['list', '--json'], ['run', 'nope']):\n"
        "    try:\n        app(args)\n    except SystemExit:\n        pass"
    )
    assert loaded_after(code) == set()


def test_a_public_name_loads_its_module_on_first_use():
    assert loaded_after("import lstmlab; lstmlab.Config") == set()
    assert "jax" in loaded_after("import lstmlab; lstmlab.run")
