"""The playground's trainings: one at a time on a worker thread, their progress as events,
and the trained models kept in memory.

The worker calls the same `runner.run` and `results.run_document` as `lstmlab run`, so a run's
document is the one `lstmlab run … --json` prints. A training nobody watches is cancelled:
between chunks of epochs the progress callback raises when the page's stream has gone.
"""

import hashlib
import itertools
import json
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from lstmlab.engine.data import Dataset, make_dataset
from lstmlab.errors import LstmlabError
from lstmlab.i18n import _, language, speaking
from lstmlab.model.trained import Model
from lstmlab.server.guard import Refused
from lstmlab.server.settings import check_work, command_line, kept_bytes, most_samples
from lstmlab.settings.config import Config

MAX_WAITING = 2  # trainings that may wait behind the running one; more get 429
KEPT_RUNS = 16  # finished runs kept in memory, the most recently used (their models answer predict, ...)
KEPT_BYTES = 256 * 2**20  # ... and no more than this of their models and histories, but the newest run
KEPT_PROGRAMS = 8  # JAX's compiled programs kept for this many settings, then let go (about 7 MiB each)
UNWATCHED_SECONDS = 10.0  # a training whose events nobody opened this long after it was asked for is dropped


# --- runs --------------------------------------------------------------------------------


class Cancelled(Exception):
    """Raised from the progress callback to stop a training whose page went away."""


@dataclass(eq=False)
class Run:
    """One training the playground was asked for, from queued to done (or failed, cancelled)."""

    id: str
    config: Config
    seeds: tuple[int, ...] | None
    dataset: Dataset | None  # until it has trained
    work: int
    kept_bytes: int = 0  # its models and histories, kept while the run is
    status: str = "queued"  # queued, running, done, failed, cancelled
    events: list = field(default_factory=list)  # (name, data) in order; only ever appended to
    document: dict | None = None  # the run document's JSON, once done
    models: list[Model] = field(default_factory=list)
    error: str | None = None
    watchers: int = 0
    unwatched_since: float | None = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)
    language: str = field(default_factory=language)  # its requester's: the worker speaks it for this run

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    def emit(self, name: str, data: dict) -> None:
        self.events.append((name, {"run": self.id, **data}))

    def abandoned(self) -> bool:
        if self.cancel.is_set():
            return True
        return self.watchers == 0 and time.monotonic() - (self.unwatched_since or 0) > UNWATCHED_SECONDS

    def model(self, seed: int | None) -> Model:
        """The trained model of `seed` (default: the run's first)."""
        if self.status != "done":
            raise Refused(409, f"run {self.id!r} is {self.status}" + _WHY.get(self.status, ""))
        if seed is None:
            return self.models[0]
        for model in self.models:
            if model.seed == seed:
                return model
        trained = ", ".join(str(m.seed) for m in self.models[:10]) + (", …" if len(self.models) > 10 else "")
        raise Refused(
            404,
            _("run {id!r} trained no seed {seed}; its seeds: {trained}").format(id=self.id, seed=seed, trained=trained),
        )


_WHY = {
    "queued": "; wait for its 'done' event",
    "running": "; wait for its 'done' event",
    "cancelled": " (its page went away); train again",
    "failed": "; train again",
}


class Runs:
    """Trainings, one at a time on one worker thread, and the finished ones kept in memory."""

    def __init__(self, train_fn=None):
        self._train = train_fn or train  # (run, on_progress) -> (document JSON, models): the JAX work
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Run | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._worker = threading.Thread(target=self._work, name="lstmlab-training", daemon=True)
        self._worker.start()

    def submit(self, config: Config, seeds: tuple[int, ...] | None) -> Run:
        count = len(seeds or (config.seed,))
        check_work(config, most_samples(config), count)  # before the data is made: num_patterns may be huge
        dataset = make_dataset(config)
        work = check_work(config, len(dataset.train), count)
        with self._lock:
            waiting = [run for run in self._runs.values() if not run.finished]
            if len(waiting) > MAX_WAITING:
                names = ", ".join(f"{run.id} ({run.status})" for run in waiting)
                raise Refused(
                    429,
                    _(
                        "{n_waiting} trainings are running or waiting ({names}); one trains at a time, "
                        "try again when one ends"
                    ).format(n_waiting=len(waiting), names=names),
                )
            run = Run(f"r{next(self._ids)}", config, seeds, dataset, work, kept_bytes(config, count))
            run.emit("queued", {"ahead": len(waiting), "epochs": config.epochs, "work": work})
            self._runs[run.id] = run
            self._forget_old()
        self._queue.put(run)
        return run

    def get(self, run_id: str) -> Run:
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                self._runs.move_to_end(run_id)  # the runs forgotten first are those least recently used
        if run is None:
            kept = f"the playground keeps its {KEPT_RUNS} most recently used runs in memory"
            raise Refused(404, _("unknown run {value!r}; {kept}").format(value=run_id[:40], kept=kept))
        return run

    def events_since(self, run: Run, seen: int) -> tuple[list, bool]:
        """The events after the first `seen`, and whether the run has ended (then they are its last)."""
        with self._lock:
            return run.events[seen:], run.finished

    def watch(self, run: Run) -> None:
        with self._lock:
            run.watchers += 1
            run.unwatched_since = None

    def unwatch(self, run: Run) -> None:
        """The last watcher of an unfinished training left: its page went away, so stop it."""
        with self._lock:
            run.watchers -= 1
            if run.watchers == 0:
                run.unwatched_since = time.monotonic()
                if not run.finished:
                    run.cancel.set()

    def close(self) -> None:
        for run in list(self._runs.values()):
            run.cancel.set()
        self._queue.put(None)

    def _forget_old(self) -> None:
        """Forget the least recently used finished runs over KEPT_RUNS or KEPT_BYTES (the most
        recently used one stays, whatever its size: its page is about to ask for it)."""
        finished = [run for run in self._runs.values() if run.finished]
        kept = sum(run.kept_bytes for run in finished)
        for run in finished[:-1]:
            if len(finished) <= KEPT_RUNS and kept <= KEPT_BYTES:
                break
            del self._runs[run.id]
            finished.remove(run)
            kept -= run.kept_bytes

    def _work(self) -> None:
        while (run := self._queue.get()) is not None:
            with speaking(run.language):  # a training's error lines in the language of the page that asked
                self._one(run)

    def _one(self, run: Run) -> None:
        if run.abandoned():
            return self._end(run, "cancelled", "cancelled", {"reason": "nobody watched it"})
        run.status = "running"
        run.emit("started", {"epochs": run.config.epochs, "seeds": len(run.seeds or (run.config.seed,))})

        def on_progress(done: int, metrics) -> None:
            if run.abandoned():
                raise Cancelled()
            # The median seed per epoch of this chunk: the page extends its curves with them.
            loss, accuracy = (np.median(np.asarray(m), axis=0) for m in (metrics.loss, metrics.accuracy))
            first = done - len(loss) + 1
            run.emit(
                "progress",
                {
                    "epochs_done": done,
                    "epochs": run.config.epochs,
                    "first_epoch": first,
                    "loss": [round(float(v), 6) for v in loss],
                    "accuracy": [round(float(v), 6) for v in accuracy],
                },
            )

        try:
            run.document, run.models = self._train(run, on_progress)
        except Cancelled:
            return self._end(run, "cancelled", "cancelled", {"reason": "its page went away"})
        except LstmlabError as e:
            return self._end(run, "failed", "error", {"error": str(e)})
        except Exception as e:  # a bug: say so on the stream; the log keeps the traceback
            import logging

            logging.getLogger("lstmlab.server.app").exception("training %s failed", run.id)
            failed = _("training failed: {kind}: {error}").format(kind=type(e).__name__, error=e)
            return self._end(run, "failed", "error", {"error": failed})
        accuracies = [seed["accuracy"] for seed in run.document["seeds"]]
        self._end(run, "done", "done", {"accuracy": float(np.median(accuracies)), "timing": run.document["timing"]})

    def _end(self, run: Run, status: str, event: str, data: dict) -> None:
        run.dataset = None  # trained (or not): its inputs, up to MAX_MEMORY_BYTES, are let go
        with self._lock:
            run.status = status
            run.error = data.get("error")
            run.emit(event, data)
            self._forget_old()


def train(run: Run, on_progress) -> tuple[dict, list[Model]]:
    """What `lstmlab run` does for `run`: train, evaluate, and for a stateful model of one
    seed the tutorial's generations; the document's JSON and every seed's model."""
    from lstmlab.engine.runner import run as run_training
    from lstmlab.model.generation import demonstrations_of
    from lstmlab.model.trained import models_of
    from lstmlab.results.run import run_document

    result = run_training(run.config, run.seeds, on_progress=on_progress, dataset=run.dataset)
    document = run_document(result, demonstrations_of(result), command=command_line(run.config, run.seeds))
    forget_programs(run.config)
    return document.to_json(), models_of(result)


_compiled_for: set[str] = set()  # the settings JAX holds compiled programs for, since it last let go


def forget_programs(config: Config) -> None:
    """Bound what JAX keeps between trainings: it holds every program it compiled, one set per
    shape of settings (a server asked for many shapes grew by ~7 MiB each, for good). After
    KEPT_PROGRAMS distinct settings its caches are cleared; a shape asked for again is traced
    afresh, and compiled from the compile cache on disk (`programs`, runtime's XLA cache)."""
    import jax

    _compiled_for.add(hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest())
    if len(_compiled_for) > KEPT_PROGRAMS:
        jax.clear_caches()
        _compiled_for.clear()
