"""The `lstmlab` command line: parses options, calls the library, renders the document it
returns as text or JSON; nothing else. One module per command group adds its commands to
`app` (cli.group); `lstmlab --help` lists them in the order of the imports below.

Starting it loads Typer and the settings modules only; JAX loads in the commands that
compute, matplotlib in those that draw (hence the imports inside the command functions).
"""

# isort: off
from lstmlab.cli import run, reproduce, compare, models, serve, keras  # noqa: F401 - each adds its commands

# isort: on
from lstmlab.cli.group import app

__all__ = ["app"]
