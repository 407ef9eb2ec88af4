"""`lstmlab serve` itself: the listening socket, the address printed, uvicorn until Ctrl-C."""

import json
import os
import socket
import sys
import threading
import webbrowser
from pathlib import Path

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.server.app import create_app
from lstmlab.server.guard import host_name, is_loopback


class Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 (h11), whose answer to a request h11 cannot parse (a bad or repeated
    Content-Length, no Host or two, a malformed line) is the playground's one-line JSON refusal
    rather than uvicorn's plain text. The request never reaches the app, so this is the only
    place to say it; h11's own words name what was wrong."""

    def send_400_response(self, msg: str) -> None:
        error = sys.exc_info()[1]  # uvicorn calls this from its `except h11.RemoteProtocolError`
        reason = str(error) if isinstance(error, h11.RemoteProtocolError) and str(error) else msg.rstrip(".")
        reason = reason.split(": bytearray(")[0][:200]  # h11 quotes the raw line: not for a reply
        line = _(
            "the request is not valid HTTP/1.1 ({reason}); the playground answers well-formed requests only"
        ).format(reason=reason)
        body = json.dumps({"error": line}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        try:
            for event in (h11.Response(status_code=400, headers=[*headers, (b"connection", b"close")]),
                          h11.Data(data=body), h11.EndOfMessage()):  # fmt: skip
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:  # a response had begun already: nothing more can be said
            pass
        self.transport.close()


def uvicorn_config(app, **options) -> uvicorn.Config:
    """How the playground runs under uvicorn, for `serve` and for the tests that serve it."""
    # log_config=None: uvicorn leaves Python's logging as it is, whose last-resort handler prints
    # warnings and errors to the stderr of the moment (uvicorn's own config binds one stream for good).
    return uvicorn.Config(app, log_config=None, http=Protocol, **options)


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
    uvicorn.Server(uvicorn_config(app, timeout_graceful_shutdown=2)).run(sockets=[sock])
