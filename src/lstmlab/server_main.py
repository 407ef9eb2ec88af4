"""`lstmlab serve` itself: the listening socket, the address printed, uvicorn until Ctrl-C."""

import os
import socket
import threading
import webbrowser
from pathlib import Path

import uvicorn

from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.server import create_app
from lstmlab.server_guard import host_name, is_loopback


def listen(host: str, port: int):
    """A listening socket, so that a port in use is one error line before anything starts."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # proto must say TCP: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets
        # that do, and with it on every small answer waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(256)
        except OSError:
            sock.close()
            raise
        return sock
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        message = _("cannot listen on {host}:{port}: {reason}; choose another --host or --port")
        raise ConfigError(message.format(host=host, port=port, reason=reason)) from None


def serve(host: str, port: int, models_dir: Path, open_page: bool, say, warn) -> None:
    """Run the playground until Ctrl-C: print its address, warn when others can reach it."""
    sock = listen(host, port)
    port = sock.getsockname()[1]
    app = create_app(models_dir, host, port)
    say(
        _("lstmlab playground: {url}  (models in '{folder}'; Ctrl-C stops it)").format(
            url=app.state.url, folder=models_dir
        )
    )
    if not is_loopback(host_name(host)):
        warning = _(
            "Warning: listening on {host}, not only on this machine: anyone who can reach it can train here and "
            "read and save models in '{folder}'."
        )
        warn(warning.format(host=host, folder=models_dir))
    if open_page:
        threading.Timer(0.5, webbrowser.open, [app.state.url]).start()
    # log_config=None: uvicorn leaves Python's logging as it is, whose last-resort handler prints
    # warnings and errors to the stderr of the moment (uvicorn's own config binds one stream for good).
    config = uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
