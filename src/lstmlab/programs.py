"""Training programs kept between runs, so that a warm run skips tracing and lowering.

JAX's persistent cache (runtime.enable_compile_cache) skips XLA's compilation, but only
after our Python has been traced and lowered again, which costs a warm `lstmlab run`
most of its start-up. `cached(...)` keeps the lowered program itself, exported with
`jax.export` (StableHLO, no pickle, no code), under a key of everything that shapes it:
the settings, the data, the argument shapes, the JAX version and lstmlab's own source.
Anything that goes wrong here (no `flatbuffers`, an unreadable or stale file, a program
JAX cannot export) falls back to the ordinary `jax.jit`: a cache never fails a run.
"""

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jax
from jax import export  # a submodule: older JAX does not load it with `import jax`

from lstmlab import __version__
from lstmlab.runtime import cache_dir

SUFFIX = ".jaxexport"


@cache
def source_digest() -> str:
    """sha256 of lstmlab's own source: a changed function must never run an old program."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def program_path(name: str, key: dict, args) -> Path:
    specs = [(tuple(a.shape), str(a.dtype)) for a in jax.tree_util.tree_leaves(args)]
    identity = {
        "name": name,
        "key": key,
        "args": specs,
        "lstmlab": __version__,
        "source": source_digest(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    return cache_dir() / "programs" / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:40]}{SUFFIX}"


def cached(name: str, fn: Callable, args: tuple, key: dict, donate: bool = False) -> Callable:
    """A jitted callable equal to `jax.jit(fn)` on arguments shaped like `args`.

    `fn` takes and returns lists/tuples of arrays only (flatten pytrees first). `key` must
    name everything `fn` closes over (settings, a digest of the data)."""
    donate_argnums = (0,) if donate else ()
    try:
        path = program_path(name, key, args)
        exported = _load(path) or _save(path, export.export(jax.jit(fn))(*args))
    except Exception:  # the cache is an optimisation: the run goes on without it
        return jax.jit(fn, donate_argnums=donate_argnums)
    return jax.jit(exported.call, donate_argnums=donate_argnums)


def _load(path: Path):
    try:
        return export.deserialize(bytearray(path.read_bytes()))
    except Exception:  # missing, truncated, or from another JAX: export afresh
        return None


def _save(path: Path, exported):
    data = exported.serialize()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)  # whole or not at all: two runs may write the same program
    except OSError:  # a read-only or full cache costs time, never the run
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return exported
