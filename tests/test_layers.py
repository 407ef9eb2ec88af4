"""The package reads top-down: its subpackages are its layers (lstmlab.LAYERS, lowest first),
no module imports one above it or in a circle, and the modules a command line needs before it
computes load neither JAX nor matplotlib."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lstmlab import LAYERS

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lstmlab"
ROOT_MODULES = {"__init__", "errors", "i18n", "document", "user_files"}  # below every layer


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """0 for the package's root modules; 1 + the index in lstmlab.LAYERS for a subpackage's."""
    parts = module.split(".")
    return 0 if len(parts) == 1 or parts[1] in ROOT_MODULES else 1 + LAYERS.index(parts[1])


def lstmlab_imports(path: Path) -> set[str]:
    """Every lstmlab module `path` imports, at its top or inside a function (a name imported
    from a package counts as that package's module when it is one)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lstmlab"):
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("lstmlab")}
    return names & set(MODULES)


def test_the_folders_are_the_layers():
    """Every subpackage is a layer and every layer a subpackage; the root holds only the few
    modules below them all."""
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert folders == set(LAYERS)
    assert {path.stem for path in PACKAGE.glob("*.py")} == ROOT_MODULES
    assert all(len(module.split(".")) <= 3 for module in MODULES)  # one level of subpackages


# `lstmlab` itself is the front door: its public names load their modules (any layer) on first use.
@pytest.mark.parametrize("module", sorted(set(MODULES) - {"lstmlab"}))
def test_no_module_imports_one_above_it(module):
    above = {name for name in lstmlab_imports(MODULES[module]) if layer(name) > layer(module)}
    assert above == set(), f"{module} (layer {layer(module)}) imports {above}"


def test_no_modules_import_each_other_in_a_circle():
    """Within a layer too: a circle means two modules that are one, or a piece in the wrong one."""
    packages = {m for m, p in MODULES.items() if p.name == "__init__.py"}  # importing one is not a use of it
    graph = {m: lstmlab_imports(p) - packages - {m} for m, p in MODULES.items()}
    done, path = set(), []

    def visit(module):
        if module in path:
            raise AssertionError(" -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        path.append(module)
        for name in sorted(graph[module]):
            visit(name)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('loaded:', *(m for m in ('jax', 'matplotlib', 'optax') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.splitlines()[-1].removeprefix("loaded:").split())


def test_settings_and_the_command_line_start_without_jax_or_matplotlib():
    assert loaded_after("import lstmlab.settings.experiments, lstmlab.settings.config, lstmlab.settings.seeds") == set()
    assert loaded_after("import lstmlab.cli.app") == set()
    assert loaded_after("import lstmlab; lstmlab.__version__") == set()


def test_list_and_help_run_without_jax():
    code = (
        "import sys\nfrom lstmlab.cli.app import app\n"
        "for args in (['--help'], ['--version'], ['list'], ['list', '--json'], ['run', 'nope']):\n"
        "    try:\n        app(args)\n    except SystemExit:\n        pass"
    )
    assert loaded_after(code) == set()


def test_a_public_name_loads_its_module_on_first_use():
    assert loaded_after("import lstmlab; lstmlab.Config") == set()
    assert "jax" in loaded_after("import lstmlab; lstmlab.run")


def test_the_readme_tree_names_every_module_where_it_is():
    """README's "How it works" draws the package: every module once, under its own folder."""
    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    tree = readme.split("## How it works", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    drawn, folder = set(), ""
    for line in tree.splitlines()[1:]:
        name = line.split()[0]
        if line.startswith("  ") and not line.startswith("    ") and name.endswith("/"):
            folder = name
        elif not line.startswith("    "):
            folder = ""
        names = re.split(r"\s{2,}", line.strip())[0]  # the names, then two spaces or more, then what they hold
        drawn |= {folder + n.strip() for n in names.split(",") if n.strip().endswith(".py")}
    on_disk = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.stem not in ("__init__", "__main__")}
    assert drawn == on_disk
