"""The one sequence every sweep follows — `run`, `compare` and `reproduce` alike:

    claim the folder -> record or check its settings -> run the missing jobs, each kept as it
    finishes -> read every job file back, checked -> build the document -> write the report

A kind of sweep says only what differs: its jobs and their names, how a job file is checked,
the settings it records, what a job runs, and how the outcomes become a document and files.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lstmlab.sweeps import sweep
from lstmlab.sweeps.engines import run_missing


@dataclass(frozen=True)
class Sweep:
    jobs: Sequence
    ids: Sequence[str]  # each job's name, its file's name: jobs/<id>.json
    check: sweep.Outcome  # a job's outcome back from its file, checked whole
    settings: Callable[[int], dict]  # what sweep.json records, given the cores per job
    work: Callable[[object], dict]  # a module-level function: Ray ships it by name
    document: Callable[[list, Path], object]  # (outcomes in plan order, the folder) -> the document
    report_files: Callable[[object], dict[str, bytes]]  # the document -> the report's files


def run(
    kind: Sweep,
    out: Path,
    *,
    resume: bool = False,
    engine: str = "local",
    address: str | None = None,
    local_work: Callable[[object], dict] | None = None,
    on_plan: Callable[[list[int]], None] | None = None,
    on_done: Callable[[int], None] | None = None,
):
    """Run the jobs not yet in `out` (each kept there as it finishes), then write the folder
    whole from the job files on disk. on_plan(the indices of the jobs to run) before any job;
    on_done(index) as each finishes; `local_work`, a closure in place of `work`, on the local
    engine only (Ray ships a module's function, not a closure)."""
    with sweep.claimed(out, resume) as out:
        cores = sweep.cores_per_job(out, resume)
        missing = sweep.begin(out, kind.settings(cores), kind.ids, resume, kind.check)
        if on_plan is not None:
            on_plan(missing)
        work = kind.work if engine == "ray" or local_work is None else local_work
        run_missing(kind.jobs, kind.ids, missing, out, cores, work, engine=engine, address=address, on_done=on_done)
        document = kind.document(sweep.read_checked(out, kind.ids, kind.check), out)
        sweep.write_report(out, kind.report_files(document))
    return document
