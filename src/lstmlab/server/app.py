"""`lstmlab serve`: the playground — a page, and a JSON API over the library's documents.

A thin layer like the command line: a request is parsed into the same settings, the same
library computes, and the answer is the same document `lstmlab … --json` prints (docs/api.md
lists the endpoints). User mistakes are 4xx with the command line's one-line message as
{"error": ...}. The page, its script and styles ship in `lstmlab/server/static`; nothing is fetched
from the network.
"""

import contextlib
import dataclasses
import json
import logging
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lstmlab import __version__
from lstmlab.errors import LstmlabError
from lstmlab.i18n import LANGUAGES, _, from_accept_language, language, speaking
from lstmlab.server.guard import (
    MAX_SEQUENCE,
    MAX_STEPS,
    MAX_TEXT,
    MAX_TOP,
    Refused,
    check_host,
    check_json_type,
    check_length,
    check_origin,
    check_range,
    check_strings,
    check_text_length,
    fields,
    parse_json,
    too_long,
)
from lstmlab.server.models import ModelFolder
from lstmlab.server.runs import Runs
from lstmlab.server.settings import MAX_UNITS, MAX_WORK, run_config
from lstmlab.settings import config

STATIC = Path(__file__).parent / "static"
EVENTS_POLL_SECONDS = 0.05  # how often a progress stream looks for new events (and a gone page)
# Settings the page does not offer as fields: set by the experiment, or by a pasted text.
FIXED_SETTINGS = ("experiment", "sequence", "data", "stateful", "data_seed", "num_patterns")
CHOICES = {
    "cell": config.CELLS,
    "framing": config.FRAMINGS,
    "encoding": config.ENCODINGS,
    "padding": config.PADDINGS,
    "recurrent_activation": config.RECURRENT_ACTIVATIONS,
    "optimizer": config.OPTIMIZERS,
}
# Settings that may be null (batch size: all samples in one batch), read from Config itself.
NULLABLE = tuple(f.name for f in dataclasses.fields(config.Config) if type(None) in getattr(f.type, "__args__", ()))
SECURITY_HEADERS = [
    # The page loads only its own files: no CDN, no inline script, nothing sent elsewhere.
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

log = logging.getLogger("lstmlab.server.app")


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Guard:
    """ASGI middleware: Host and Origin checked before anything is served; headers that keep
    the page to its own files added to every answer."""

    def __init__(self, app, host: str, url: str):
        self.app, self.host, self.url = app, host, url

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        with speaking(from_accept_language(headers.get("accept-language"))):  # the page's language
            await self.checked(scope, receive, send, headers)

    async def checked(self, scope, receive, send, headers):
        try:
            hosts = sum(name == b"host" for name, _value in scope["headers"])
            check_host(headers.get("host"), self.host, self.url, hosts)
            check_origin(
                scope["method"], headers.get("origin"), headers.get("sec-fetch-site"), headers["host"], self.url
            )
        except Refused as e:
            log.info("refused %s %s: %s", scope["method"], scope["path"], e.message)
            return await error(e.status, e.message)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def read_json(request: Request) -> dict:
    """The request's JSON object, read no further than MAX_BODY_BYTES."""
    check_json_type(request.headers.get("content-type"))
    check_length(request.headers.get("content-length"))
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            too_long(len(body))
    except ClientDisconnect:  # nobody to answer; and not a bug to log with a traceback
        raise Refused(400, _("the client went away before its request body arrived")) from None
    value = parse_json(bytes(body))
    if not isinstance(value, dict):
        raise Refused(
            400, _("the request body must be a JSON object, got {type_name}").format(type_name=type(value).__name__)
        )
    check_strings(value)  # every text field of every endpoint, before any of it is used
    return value


SOURCE = {"run": str, "model": str, "seed": int}


def create_app(models_dir: str | Path = "models", host: str = "127.0.0.1", port: int = 8000) -> Starlette:
    """The playground as an ASGI app: the page, its files, and the API under /api/."""
    from lstmlab.engine import runtime
    from lstmlab.results.catalogue import experiment_list

    runtime.start()
    url = url_of(host, port)
    runs = Runs()
    models = ModelFolder(Path(models_dir))

    def model_of(values: dict):
        """The model a request names: a run's (one of its seeds) or a saved one."""
        if (values["run"] is None) == (values["model"] is None):
            raise Refused(400, _("give 'run' (a run id) or 'model' (a saved model's name), one of the two"))
        if values["model"] is not None:
            if values["seed"] is not None:
                raise Refused(400, _("'seed' picks a model of a run; a saved model is one seed already"))
            return models.load(values["model"])
        return runs.get(values["run"]).model(values["seed"])

    async def page(request):
        return FileResponse(STATIC / "index.html")

    async def experiments(request):
        return JSONResponse(experiment_list().to_json())

    async def messages(request):
        from lstmlab.server.page_text import page_messages

        return JSONResponse(
            {"kind": "messages", "language": language(), "languages": LANGUAGES, "messages": page_messages()}
        )

    async def playground(request):
        return JSONResponse(
            {
                "kind": "playground",
                "version": __version__,
                "choices": CHOICES,
                "fixed": FIXED_SETTINGS,
                "nullable": NULLABLE,
                "limits": {"work": MAX_WORK, "units": MAX_UNITS, "text": MAX_TEXT, "steps": MAX_STEPS}
                | {"sequence": MAX_SEQUENCE, "top": MAX_TOP},
                "models_folder": str(models.root),
            }
        )

    async def start_run(request):
        body = fields(await read_json(request), {}, {"experiment": str, "settings": dict, "text": str, "seeds": object})
        if body["text"] is not None:
            check_text_length("text", body["text"], MAX_SEQUENCE)
        seeds = body["seeds"]
        if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int | str)):
            message = _("'seeds' must be a count N, or text such as '1,5,9' or '3-10', got {seeds!r}")
            raise Refused(400, message.format(seeds=seeds)[:300])
        experiment = body["experiment"] or "timesteps"
        settings, seed_list = run_config(experiment, body["settings"] or {}, body["text"], seeds)
        run = await run_in_threadpool(runs.submit, settings, seed_list)
        return JSONResponse(
            {"kind": "run-started", "run": run.id, "events": f"/api/runs/{run.id}/events", "work": run.work},
            status_code=202,
        )

    async def run_document(request):
        run = runs.get(request.path_params["run_id"])
        if run.status != "done":
            run.model(None)  # raises the 409 that says why
        return JSONResponse(run.document)

    async def run_events(request):
        run = runs.get(request.path_params["run_id"])

        async def stream():
            runs.watch(run)
            seen = 0
            try:
                while True:
                    events, finished = runs.events_since(run, seen)
                    for name, data in events:
                        yield f"event: {name}\ndata: {json.dumps(data)}\n\n"
                    seen += len(events)
                    if finished or await request.is_disconnected():
                        return
                    await anyio.sleep(EVENTS_POLL_SECONDS)
            finally:
                runs.unwatch(run)  # the page went away before the end: the training stops

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def ask(request, fields_of, compute):
        values = fields(await read_json(request), *fields_of)
        model = model_of(values)
        # On a worker thread, even a 2 ms prediction: computed in the event loop, predictions
        # under load during a training waited up to seconds at the tail (benchmarks/load.py).
        document = await run_in_threadpool(compute, model, values)
        return JSONResponse(document.to_json())

    async def predict(request):
        def compute(model, v):
            top = check_range("top", v["top"] if v["top"] is not None else 5, 1, MAX_TOP)
            return model.predict(check_text_length("text", v["text"]), top)

        return await ask(request, ({"text": str}, SOURCE | {"top": int}), compute)

    async def inspect(request):
        return await ask(
            request,
            ({"text": str}, SOURCE),
            lambda model, v: model.inspect(check_text_length("text", v["text"])),
        )

    async def generate(request):
        def compute(model, v):
            steps = check_range("steps", v["steps"], 1, MAX_STEPS)
            warmup = check_text_length("warmup", v["warmup"] or "")
            return model.generate(check_text_length("start", v["start"]), steps, warmup=warmup)

        return await ask(request, ({"start": str, "steps": int}, SOURCE | {"warmup": str}), compute)

    async def list_models(request):
        return JSONResponse((await run_in_threadpool(models.listing)).to_json())

    async def save_model(request):
        values = fields(await read_json(request), {"run": str, "name": str}, {"seed": int})
        model = runs.get(values["run"]).model(values["seed"])
        saved = await run_in_threadpool(models.save, values["name"], model)
        return JSONResponse(saved.to_json(), status_code=201)

    async def refused(request, e: Refused):
        return error(e.status, e.message)

    async def mistake(request, e: LstmlabError):
        return error(400, str(e))

    async def http_error(request, e: HTTPException):
        return error(e.status_code, _("no such page or API endpoint") if e.status_code == 404 else str(e.detail))

    async def bug(request, e: Exception):  # the log keeps the traceback (it is a bug); the client gets one line
        return error(500, _("internal error ({name}); the server's log has the details").format(name=type(e).__name__))

    routes = [
        Route("/", page),
        Route("/api/experiments", experiments),
        Route("/api/playground", playground),
        Route("/api/messages", messages),
        Route("/api/runs", start_run, methods=["POST"]),
        Route("/api/runs/{run_id}", run_document),
        Route("/api/runs/{run_id}/events", run_events),
        Route("/api/predict", predict, methods=["POST"]),
        Route("/api/inspect", inspect, methods=["POST"]),
        Route("/api/generate", generate, methods=["POST"]),
        Route("/api/models", list_models),
        Route("/api/models", save_model, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    handlers = {Refused: refused, LstmlabError: mistake, HTTPException: http_error, Exception: bug}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        runs.close()  # a training still going stops at its next chunk of epochs

    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.add_middleware(Guard, host=host, url=url)
    app.state.runs, app.state.url = runs, url
    return app
