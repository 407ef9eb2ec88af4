"""Process-wide JAX set-up: the persistent compilation cache, one CPU device per core."""

import os
from pathlib import Path

import jax

CACHE_ENV = "LSTMLAB_CACHE_DIR"


def cache_dir() -> Path:
    """$LSTMLAB_CACHE_DIR, else $XDG_CACHE_HOME/lstmlab/jax, else ~/.cache/lstmlab/jax."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lstmlab" / "jax"


def enable_compile_cache(path: Path | None = None) -> Path:
    """Keep compiled programs on disk so that a second run with the same shapes skips XLA."""
    path = Path(path) if path is not None else cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    # Our programs compile in a second or two: cache them all, however small or quick.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return path


def use_cpu_cores(count: int | None = None) -> None:
    """Ask JAX for one CPU device per core (default: os.cpu_count()), before JAX starts.

    XLA runs one program on one core; `lstmlab.training.train` puts groups of seeds on every
    local device, so with a device per core the seeds train side by side. Has no effect
    once JAX has run anything (its devices are fixed then) or on a GPU machine, whose
    device JAX uses by default.
    """
    count = count or os.cpu_count() or 1
    try:
        jax.config.update("jax_num_cpu_devices", count)
    except RuntimeError:  # JAX has started already: keep the devices it has
        pass
