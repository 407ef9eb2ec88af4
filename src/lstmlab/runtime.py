"""Process-wide JAX set-up: the persistent compilation cache."""

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
