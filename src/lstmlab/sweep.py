"""A sweep's output folder: what it records, so that nothing finished is ever lost or mixed.

    OUT/sweep.json        - the sweep's resolved settings and its job list (written first)
    OUT/jobs/<id>.json    - one finished job's result, written the moment it finishes
    OUT/report.*, ...     - the report, built from the job files once every job is there

check_folder(...)   - before any work: OUT may hold a new sweep, or (with --resume) this one
begin(...)          - record the settings (or check them against OUT's) and say which jobs are missing
save_result(...)    - write one job's result atomically (a temporary file, then os.replace)
load_results(...)   - every job's result, read back from OUT/jobs in plan order
sweep_files(...)    - sweep.json and jobs/*, to be carried into the final report folder
write_report(...)   - the report and those, swapped into place at once

The report is made from the files on disk, never from what ran in this process, so it is the
same whichever jobs ran when, on which engine.
"""

import contextlib
import hashlib
import json
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from lstmlab import __version__, folders
from lstmlab.comparison import Job, JobResult, run_job
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.reproduction import REPORT_FILES, is_report_folder

SWEEP_FILE = "sweep.json"
JOBS = "jobs"
PER_JOB = ("task", "lag", "cell", "forget_bias", "seed")  # settings that differ between jobs


def job_id(job: Job) -> str:
    """A readable name, unique within a sweep: 'lstm_5-lag10-seeds1-2'."""
    cell = job.label.replace(":", "_").replace(".", "p")
    lag = "" if job.config.lag is None else f"-lag{job.config.lag}"
    first, last = job.seeds[0], job.seeds[-1]
    return f"{cell}{lag}-seeds{first}" + (f"-{last}" if last != first else "")


def sweep_settings(command: str, jobs: Sequence[Job], seeds: Sequence[int], group: int | None, cores: int) -> dict:
    """Everything that decides the sweep's results, resolved (defaults filled in): two folders
    with equal settings hold results that may be mixed. `cores` is the CPU devices each job's
    seeds are split over: float32 rounding depends on that split, so it is fixed per sweep."""
    if not jobs:
        raise ConfigError(_("nothing to run: no jobs"))
    first = jobs[0].config
    shared = {k: v for k, v in first.to_dict().items() if k not in PER_JOB}
    return {
        "command": command,
        "task": first.task,
        "cells": list(dict.fromkeys(job.label for job in jobs)),
        "lags": list(dict.fromkeys(job.config.lag for job in jobs)),
        "seeds": list(seeds),
        "group": group or len(seeds),
        "cores_per_job": cores,
        **shared,
        "jobs": digest([job_id(job) for job in jobs] + [json.dumps(job.config.to_dict()) for job in jobs]),
    }


def digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def is_sweep_folder(folder: Path) -> bool:
    """A sweep's folder: sweep.json, jobs/, and a report (when finished), nothing else."""
    names = {p.name for p in folder.iterdir()}
    return (
        (folder / SWEEP_FILE).is_file()
        and names <= {SWEEP_FILE, JOBS, *REPORT_FILES, "report.txt", "figures"}  # report.txt: run's
        and all((folder / name).is_dir() for name in (JOBS, "figures") if name in names)
    )


def check_folder(out: str | os.PathLike, resume: bool) -> Path:
    """Before any work: `out` may be new, empty, a previous report (replaced when the sweep is
    done), or with `resume` a sweep to finish. A sweep there without `resume` is refused: its
    finished jobs are never thrown away by accident."""
    out = Path(out)
    label = f"--out {str(out)!r}:"
    folders.check_target(
        out,
        is_ours=lambda f: is_sweep_folder(f) or is_report_folder(f),
        label=label,
        kind=_("an lstmlab report or sweep"),
        error=ConfigError,
        parent_must_exist=True,
    )
    recorded = (out / SWEEP_FILE).is_file()
    if recorded and not resume:
        raise ConfigError(
            _("{label} it holds a sweep already; add --resume to finish it, or give another --out").format(label=label)
        )
    if resume and not recorded and out.is_dir() and any(out.iterdir()):
        raise ConfigError(
            _("--resume: {value!r} holds no sweep ({SWEEP_FILE} is missing); leave out --resume").format(
                value=str(out), SWEEP_FILE=SWEEP_FILE
            )
        )
    return out


def cores_per_job(out: Path, resume: bool) -> int:
    """The CPU devices each job splits its seeds over: as recorded when resuming a sweep (so
    a resume elsewhere gives the same results), else the cores this process may use, or the
    CPU devices its JAX has if it started already (a library caller's, a test's)."""
    if resume and (Path(out) / SWEEP_FILE).is_file():
        cores = recorded_settings(Path(out)).get("cores_per_job")
        if isinstance(cores, int) and cores > 0:
            return cores
    from lstmlab.runtime import available_cores

    if not _jax_started():  # the usual case: JAX is not started for this (nor before Ray forks)
        return available_cores()
    import jax

    return len(jax.devices("cpu"))


def _jax_started() -> bool:
    """Whether this process's JAX has fixed its devices already (without starting it)."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge  # no public way to ask, in any JAX we support

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):
        return True  # cannot tell: take the devices it has (asking starts it)


def recorded_settings(out: Path) -> dict:
    try:
        document = json.loads((out / SWEEP_FILE).read_text(encoding="utf-8"))
        return dict(document["settings"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(_("--resume: cannot read '{value}': {e}").format(value=out / SWEEP_FILE, e=e)) from None


def first_difference(recorded: dict, settings: dict, prefix: str = "") -> str | None:
    """'budget is 2000 there, 3000 now' for the first setting that differs, nested ones named
    by their path ('experiments.naive.epochs'); None when equal."""
    for name in list(settings) + [k for k in recorded if k not in settings]:
        there, now = recorded.get(name), settings.get(name)
        if isinstance(there, dict) and isinstance(now, dict):
            inner = first_difference(there, now, f"{prefix}{name}.")
            if inner is not None:
                return inner
        elif there != now:
            return f"{prefix}{name} is {json.dumps(there)} there, {json.dumps(now)} now"
    return None


def begin(out: Path, settings: dict, ids: Sequence[str], resume: bool) -> list[int]:
    """Record the sweep of jobs `ids` in `out` (or, resuming, check `out` holds this very
    sweep) and return the indices of the jobs whose results are not there yet, in plan order."""
    out = Path(out)
    if resume and (out / SWEEP_FILE).is_file():
        difference = first_difference(recorded_settings(out), settings)
        if difference is not None:
            raise ConfigError(
                _(
                    "--resume: {value!r} holds a sweep with other settings: {difference}; give the "
                    "same settings, or another --out"
                ).format(value=str(out), difference=difference)
            )
    else:
        out.mkdir(exist_ok=True)
        write_atomically(out / SWEEP_FILE, {"kind": "sweep", "lstmlab": __version__, "settings": settings, "jobs": ids})
    (out / JOBS).mkdir(exist_ok=True)
    return [index for index, name in enumerate(ids) if not (out / JOBS / f"{name}.json").is_file()]


def write_atomically(path: Path, document: dict) -> None:
    """A reader sees the old file or the new one, never part of one; a crash leaves at most a
    hidden temporary file beside it."""
    folders.write_file_atomically(path, (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def job_document(result: JobResult) -> dict:
    """One finished job as a plain JSON document: its settings and seeds, and per seed the
    training sequences to solve (-1: never), those seen and the training loss at each check
    (float32 values, exact in JSON), and its seconds. The engine adds where it ran."""
    job = result.job
    return {
        "kind": "compare-job",
        "id": job_id(job),
        "cell": job.label,
        "config": job.config.to_dict(),
        "seeds": list(job.seeds),
        "solved_at": list(result.solved_at),
        "sequences": list(result.sequences),
        "loss": [list(row) for row in result.loss],
        "seconds": round(result.seconds, 3),
    }


def compare_work(job: Job) -> dict:
    """What an engine runs for one of compare's jobs (in a worker, perhaps on another machine)."""
    return job_document(run_job(job))


def stamped(document: dict, cores: int, node: str | None = None) -> dict:
    """A job's document with where it ran: the CPU devices its seeds were split over, the
    machine, the process, and the Ray node (None on the local engine)."""
    return document | {"cores": cores, "host": socket.gethostname(), "pid": os.getpid(), "node": node}


def result_from_document(job: Job, document: dict, where: str = "") -> JobResult:
    """The job's result from its document, which must be this job's (same cell, settings, seeds)."""
    expected = {"cell": job.label, "config": job.config.to_dict(), "seeds": list(job.seeds)}
    for name, value in expected.items():
        if document.get(name) != value:
            raise ConfigError(
                _("{where} is not job {id}'s: its {name!r} field differs").format(
                    where=where or "a job result", id=job_id(job), name=name
                )
            )
    with well_formed(where or "a job result"):
        result = JobResult(
            job,
            tuple(int(a) for a in document["solved_at"]),
            tuple(int(n) for n in document["sequences"]),
            float(document["seconds"]),
            tuple(tuple(float(x) for x in row) for row in document.get("loss", ())),
        )
        for name in ("solved_at", "sequences"):
            if len(getattr(result, name)) != len(job.seeds):
                raise ValueError(
                    _("its {name!r} does not hold one value per seed: {n} for {seeds}").format(
                        name=name, n=len(getattr(result, name)), seeds=len(job.seeds)
                    )
                )
    return result


def save_result(out: Path, document: dict) -> Path:
    path = Path(out) / JOBS / f"{document['id']}.json"
    write_atomically(path, document)
    return path


def read_documents(out: Path, ids: Sequence[str]) -> list[tuple[Path, dict]]:
    """Each job's file and document, in the order of `ids`."""
    documents = []
    for name in ids:
        path = Path(out) / JOBS / f"{name}.json"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(_("cannot read the job result '{path}': {e}").format(path=path, e=e)) from None
        if not isinstance(document, dict):
            raise ConfigError(_("cannot read the job result '{path}': {e}").format(path=path, e="not a JSON object"))
        documents.append((path, document))
    return documents


@contextlib.contextmanager
def well_formed(where: str) -> Iterator[None]:
    """Reading a job's document inside: a field missing or of the wrong kind (a file edited, or
    written by another lstmlab) becomes one line naming the file and how to go on."""
    try:
        yield
    except KeyError as e:
        problem = _("it has no {name!r} field").format(name=e.args[0])
    except (TypeError, ValueError, AttributeError, IndexError) as e:
        problem = str(e)
    else:
        return
    raise ConfigError(
        _("{where} is not a whole job result ({problem}); delete it and run the same command with --resume").format(
            where=where, problem=problem
        )
    ) from None


def load_results(out: Path, jobs: Sequence[Job]) -> list[JobResult]:
    """compare's job results, read back in plan order."""
    documents = read_documents(out, [job_id(job) for job in jobs])
    pairs = zip(jobs, documents, strict=True)
    return [result_from_document(job, document, f"'{path}'") for job, (path, document) in pairs]


def sweep_files(out: Path) -> dict[str, bytes]:
    """sweep.json and the job files, by their paths inside the folder."""
    out = Path(out)
    files = {SWEEP_FILE: (out / SWEEP_FILE).read_bytes()}
    for path in sorted((out / JOBS).glob("*.json")):
        if not path.name.startswith("."):
            files[f"{JOBS}/{path.name}"] = path.read_bytes()
    return files


def write_report(out: Path, report: dict[str, bytes]) -> Path:
    """The finished folder in one step: the report's files beside sweep.json and jobs/, written
    into a new folder and swapped into place (folders.write_atomically); until then `out`
    stays as it was, every job file in it."""
    files = report | sweep_files(out)

    def write(folder: Path) -> None:
        for relative, data in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)

    return folders.write_atomically(out, write, error=ConfigError, label=f"--out {str(out)!r}:")
