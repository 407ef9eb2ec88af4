"""The playground served for real (uvicorn on 127.0.0.1, a free port) on a thread, for the tests
that need a socket: a browser, and a stream closed by its client."""

import contextlib
import threading
import time

import uvicorn

from lstmlab.server.app import create_app
from lstmlab.server.main import listen, uvicorn_config


@contextlib.contextmanager
def served(models_dir):
    """Yields (url, app) while the playground runs; stops it afterwards."""
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(models_dir, "127.0.0.1", port)
    # as `lstmlab serve` runs it; uvicorn leaves logging alone, so its errors reach pytest's caplog
    server = uvicorn.Server(uvicorn_config(app, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the playground did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
