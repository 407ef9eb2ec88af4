"""`lstmlab serve`: the playground in the browser."""

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli.console import err, out
from lstmlab.cli.group import app
from lstmlab.errors import ConfigError
from lstmlab.i18n import _


@app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; any but 127.0.0.1, ::1 or localhost lets other machines in.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    models_dir: Annotated[
        Path, typer.Option("--models", help="Folder of saved models: the page opens them and saves into it.")
    ] = Path("models"),
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in your web browser.")] = False,
) -> None:
    """The playground: train, watch it learn, type, and see the gates, in your browser.

    Serves a page and a JSON API (docs/api.md) until Ctrl-C; every number on the page is
    the document the other commands print with --json.

    Examples:

        lstmlab serve

        lstmlab serve --port 8080 --models models/ --open
    """
    if not 0 <= port <= 65535:
        raise ConfigError(_("port {port} is not allowed; give 1..65535, or 0 for any free port").format(port=port))
    if models_dir.exists() and not models_dir.is_dir():
        message = _("--models '{folder}' is a file; give a folder (it is made when a model is saved)")
        raise ConfigError(message.format(folder=models_dir))
    from lstmlab.server.main import serve as serve_playground

    say, warn = (lambda line: out.print(line, markup=False)), (lambda line: err.print(line, markup=False))
    serve_playground(host, port, models_dir, open_page, say=say, warn=warn)
