#!/usr/bin/env bash
# The floors test: install the oldest versions pyproject.toml allows (ci/floors.txt) into a fresh
# virtual environment, then run the tests that exercise each dependency:
#   jax, optax    test_cell, test_train, test_update_rule (Optax's Adam, step by step)
#   flatbuffers   test_programs (jax.export keeps the training programs between runs)
#   safetensors   test_persist
#   typer, rich   test_cli
#   matplotlib    test_reproduce (the report's figures), test_inspection (the heatmap)
#   numpy         all of them, and test_data, test_stats
#   starlette, uvicorn, httpx2   test_server (the playground's API, a real socket)
#   playwright    test_browser (the page in Debian's chromium; skipped where none is installed)
#   babel         test_i18n (the message catalogs read, checked and compiled; lstmlab in Russian)
#   h5py, keras   test_keras_files, test_keras_reference (Keras files in and out; Keras 3 on JAX as the reference)
#   jupytext, nbclient, nbformat, ipykernel   test_notebooks (a notebook run in a kernel; the slow
#                 run of the tutorials aside), test_notebook_display (IPython's HTML formatter)
# Needs PyPI; takes a few minutes on 2 cores. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Every floor in pyproject.toml (dependencies and the test extra, ruff aside: it only lints)
# must be pinned in ci/floors.txt at exactly that version.
"$python" - <<'PY'
import re
import sys
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = project["dependencies"] + [r for r in project["optional-dependencies"]["test"] if not r.startswith("ruff")]
pinned = dict(
    re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.split("#")[0].strip()).groups()
    for line in open("ci/floors.txt")
    if line.split("#")[0].strip()
)
bad = []
for requirement in wanted:
    name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=(\S+)", requirement).groups()
    if pinned.get(name) != floor:
        bad.append(f"{name}: pyproject.toml says >={floor}, ci/floors.txt pins {pinned.get(name, 'nothing')}")
if bad:
    sys.exit("floors out of step:\n  " + "\n  ".join(bad))
PY

"$python" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install -r ci/floors.txt
"${pip[@]}" install --no-deps .
"${pip[@]}" check
"$work/venv/bin/python" -m pip freeze | grep -iE '^(jax|jaxlib|optax|numpy|typer|rich|matplotlib|safetensors|flatbuffers|starlette|uvicorn|httpx2|playwright|jupytext|nbclient|nbformat|ipykernel|h5py|keras|babel)=='

# matplotlib 3.10.0 calls pyparsing names that pyparsing 3.3 deprecates: a warning about
# matplotlib's code, not ours, that pyproject.toml's filterwarnings would make an error.
# The repository root holds no lstmlab (src layout), so the installed copy is the one tested.
"$work/venv/bin/python" -m pytest -q -m "not slow" -p no:cacheprovider \
    -W "ignore::pyparsing.warnings.PyparsingDeprecationWarning" \
    tests/test_cell.py tests/test_train.py tests/test_update_rule.py tests/test_persist.py \
    tests/test_cli.py tests/test_reproduce.py tests/test_inspection.py tests/test_data.py tests/test_stats.py \
    tests/test_programs.py tests/test_server.py tests/test_browser.py \
    tests/test_notebooks.py tests/test_notebook_display.py \
    tests/test_keras_files.py tests/test_keras_reference.py tests/test_i18n.py
