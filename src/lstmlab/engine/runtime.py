"""Process-wide JAX set-up: the persistent compilation cache, one CPU device per core.

Importing this module loads no JAX; `start()` does, once a command has something to compute.
"""

import os
from pathlib import Path

CACHE_ENV = "LSTMLAB_CACHE_DIR"


def cache_dir() -> Path:
    """$LSTMLAB_CACHE_DIR, else $XDG_CACHE_HOME/lstmlab/jax, else ~/.cache/lstmlab/jax."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lstmlab" / "jax"


def enable_compile_cache(path: Path | None = None) -> Path | None:
    """Keep compiled programs on disk so that a second run with the same shapes skips XLA.

    Returns the folder, or None when it cannot be made (the run then compiles afresh).
    """
    import jax

    path = Path(path) if path is not None else cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home costs compile time, never the run
    jax.config.update("jax_compilation_cache_dir", str(path))
    # Our programs compile in a second or two: cache them all, however small or quick.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return path


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity and a cgroup CPU quota (as a
    container sets them) count, not just the cores the machine has."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota)) if quota else max(1, cores)


def _cgroup_quota(path: str = "/sys/fs/cgroup/cpu.max") -> int | None:
    """cgroup v2's CPU limit, rounded up to whole cores; None when there is none."""
    try:
        limit, period = open(path).read().split()[:2]
    except (OSError, ValueError):
        return None
    if limit == "max":
        return None
    return max(1, -(-int(limit) // int(period)))


def use_cpu_cores(count: int | None = None) -> None:
    """Ask JAX for one CPU device per core (default: `available_cores()`), before JAX starts.

    XLA runs one program on one core; `lstmlab.engine.training.train` puts groups of seeds on every
    local device, so with a device per core the seeds train side by side. Has no effect
    once JAX has run anything (its devices are fixed then) or on a GPU machine, whose
    device JAX uses by default.
    """
    import jax

    count = count or available_cores()
    try:
        jax.config.update("jax_num_cpu_devices", count)
    except (RuntimeError, AttributeError, ValueError):  # JAX has started already, or is too old to ask
        pass


def start() -> None:
    """Everything a computing command needs before its first JAX call."""
    use_cpu_cores()
    enable_compile_cache()
