"""python -m lstmlab.cli: the command line, as the `lstmlab` command."""

from lstmlab.cli.app import app

app()
