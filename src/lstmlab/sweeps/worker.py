"""Where a job runs, on either engine: the devices it must see, a record of its start, and
its document stamped with where it ran."""

import os
import socket
from pathlib import Path

from lstmlab.errors import ConfigError
from lstmlab.i18n import _

STARTS_ENV = "LSTMLAB_JOB_STARTS"


def note_start(job_id: str) -> None:
    """$LSTMLAB_JOB_STARTS, when set to a folder every worker can write to, gets an empty file
    '<job id>.<pid>' as each attempt at a job starts: a record of which jobs ran, which were
    retried, and in which process (the fault-injection tests read it to strike mid-job)."""
    folder = os.environ.get(STARTS_ENV)
    if folder:
        (Path(folder) / f"{job_id}.{os.getpid()}").touch()


def check_devices(cores: int, whose: str = "this process's") -> None:
    """A job's seeds must be split over `cores` CPU devices, as the sweep recorded: float32
    rounding depends on the split. A GPU's device is taken as it is."""
    import jax

    devices = jax.local_devices()
    if devices[0].platform == "cpu" and len(devices) != cores:
        raise ConfigError(
            _(
                "{whose} JAX has {n_devices} CPU devices, but the sweep's jobs run on {cores}; "
                "run it in a fresh process"
            ).format(whose=whose, n_devices=len(devices), cores=cores)
        )


def stamped(document: dict, cores: int, node: str | None = None) -> dict:
    """A job's document with where it ran: the CPU devices its seeds were split over, the
    machine, the process, and the Ray node (None on the local engine)."""
    return document | {"cores": cores, "host": socket.gethostname(), "pid": os.getpid(), "node": node}
