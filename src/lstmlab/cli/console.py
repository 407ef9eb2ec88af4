"""The terminal: stdout and stderr as Rich consoles, and `show`, the one place a result reaches them."""

import json
import sys

from rich.console import Console


class ReaderGone(Exception):
    """stdout's reader went away (`lstmlab run … | head`), carried past Typer (cli.group ends quietly)."""


class Terminal(Console):
    def on_broken_pipe(self) -> None:  # Rich's own exits with status 1
        raise ReaderGone()


out = Terminal(highlight=False, soft_wrap=True)
err = Terminal(stderr=True, highlight=False, soft_wrap=True)


def show(document, as_json: bool) -> None:
    """The one place a result reaches the terminal: as JSON, or as the text of `lstmlab.render.text`."""
    if as_json:  # straight to stdout: Rich would scan megabytes of JSON for markup and wrapping
        sys.stdout.write(json.dumps(document.to_json(), ensure_ascii=False) + "\n")
        return
    from lstmlab.render.text import lines

    for line in lines(document):
        out.print(line, markup=False) if isinstance(line, str) else out.print(line)
