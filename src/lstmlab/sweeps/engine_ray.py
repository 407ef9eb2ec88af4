"""The Ray engine: a sweep's jobs as Ray tasks, on this machine or on a cluster.

Each job is one `ray.remote` task that declares the CPUs its seeds are split over (and a GPU
where the cluster has them); results come back as plain job documents, handed to `on_done`
as they finish, in whatever order. A worker that dies mid-job (a killed process, a lost node)
is retried by Ray, at most MAX_RETRIES times. Ray is imported here only, when the engine
runs: `lstmlab --help` and the local engine never load it.

Bit for bit: a job's per-seed results depend on how many CPU devices JAX splits its seeds
over, so the worker asks JAX for the sweep's `cores` before JAX starts, and refuses to run
in a worker whose JAX already started with another count (which would differ silently).
Each attempt at a job is noted as `lstmlab.sweeps.worker.note_start` says ($LSTMLAB_JOB_STARTS).
"""

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence

from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.i18n import _, ngettext
from lstmlab.sweeps.worker import check_devices, note_start, stamped

MAX_RETRIES = 3  # attempts after a worker dies, per job; a job that raises is not retried
EXTRA = "pip install 'lstmlab[ray]'"


def check_available() -> None:
    """Before any work: Ray can be imported, or one line naming the extra."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ConfigError(_("--engine ray needs Ray, which is not installed: {EXTRA}").format(EXTRA=EXTRA)) from None


def in_worker(work: Callable[[object], dict], job, job_id: str, cores: int) -> dict:
    """One job in a Ray worker (a fresh process, or one reused for this sweep's jobs)."""
    from lstmlab.engine import runtime

    runtime.use_cpu_cores(cores)  # no effect if JAX started already: checked next
    runtime.enable_compile_cache()
    check_devices(cores, "this Ray worker's")
    note_start(job_id)
    import ray

    return stamped(work(job), cores, node=ray.get_runtime_context().get_node_id())


@contextlib.contextmanager
def connected(address: str | None, cores: int) -> Iterator[bool]:
    """Ray for the length of a sweep: the instance this process already has, the cluster at
    `address` ('auto': the one this machine belongs to), or a local one started here (with
    `cores` CPUs at least) and shut down after, on errors and Ctrl-C too. Yields whether this
    sweep leaves Ray at its end (False: the instance was there before, and stays)."""
    import ray

    if ray.is_initialized():  # not ours to shut down: the caller's Ray runs on
        yield False
        return
    quiet = {"logging_level": logging.WARNING, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            from lstmlab.engine.runtime import available_cores

            ray.init(num_cpus=max(cores, available_cores()), include_dashboard=False, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = f"the Ray cluster at {address!r}" if address else "a local Ray instance"
        raise ConfigError(
            _("--engine ray: cannot start or reach {where}: {value}").format(
                where=where, value=" ".join(str(e).split())
            )
        ) from None
    try:
        yield True
    finally:
        ray.shutdown()


def run_on_ray(
    jobs: Sequence[tuple[object, str]],
    cores: int,
    work: Callable[[object], dict],
    on_done: Callable[[int, dict], None],
    *,
    address: str | None = None,
    max_retries: int = MAX_RETRIES,
) -> None:
    """Run work(job) for each (job, id) in `jobs` as a Ray task; on_done(index, its document)
    in the driver as each finishes.
    On an error or Ctrl-C the jobs still running end with Ray; those done are already handed over."""
    import ray

    with connected(address, cores) as leaves:
        nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
        largest = max((r.get("CPU", 0) for r in nodes), default=0)
        if largest < cores:
            raise ConfigError(
                _(
                    "--engine ray: each job needs {cores} CPUs (the sweep's cores per job), but the "
                    "largest Ray node has {largest:g}"
                ).format(cores=cores, largest=largest)
            )
        gpus = 1 if any(r.get("GPU", 0) >= 1 for r in nodes) else 0
        task = ray.remote(in_worker).options(num_cpus=cores, num_gpus=gpus, max_retries=max_retries)
        pending = {task.remote(work, job, name, cores): index for index, (job, name) in enumerate(jobs)}
        try:
            _run_pending(pending, jobs, on_done, max_retries)
        finally:
            # On Ctrl-C or an error, the jobs still running: leaving `connected` shuts Ray down
            # or disconnects this driver, and Ray ends a departing driver's jobs. No ray.cancel
            # then: one racing a task's reply aborts the driver inside Ray (ray-project/ray#54798,
            # "Tried to complete task that was not pending"). Only in a Ray that stays are they
            # cancelled, or they would run on.
            if not leaves:
                for ref in pending:
                    with contextlib.suppress(Exception):
                        ray.cancel(ref, force=True)


def _run_pending(pending: dict, jobs, on_done, max_retries: int) -> None:
    """Hand each finished job's document over as it comes, until none is pending."""
    import ray

    while pending:
        done, _pending = ray.wait(list(pending), num_returns=1)
        for ref in done:
            index = pending.pop(ref)
            try:
                document = ray.get(ref)
            except ray.exceptions.WorkerCrashedError:
                lost = ngettext(
                    "job {job} lost its worker {n} time; the jobs finished so far are kept: "
                    "run the same command with --resume to go on",
                    "job {job} lost its worker {n} times; the jobs finished so far are kept: "
                    "run the same command with --resume to go on",
                    max_retries + 1,
                )
                raise LstmlabError(lost.format(job=jobs[index][1], n=max_retries + 1)) from None
            on_done(index, document)
