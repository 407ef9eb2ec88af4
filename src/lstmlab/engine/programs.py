"""Training programs kept between runs, so that a warm run skips tracing and lowering.

JAX's persistent cache (runtime.enable_compile_cache) skips XLA's compilation, but only
after our Python has been traced and lowered again, which costs a warm `lstmlab run`
most of its start-up. `cached(...)` keeps the lowered program itself, exported with
`jax.export` (StableHLO, no pickle, no code), under a key of everything that shapes it:
the settings, the data, the argument shapes, the JAX version and lstmlab's own source.
Anything that goes wrong here (no `flatbuffers`, an unreadable or stale file, a program
JAX cannot export) falls back to the ordinary `jax.jit`: a cache never fails a run.

A kept program is one file: a header line with the sha256 of the program after it, then
the program. It is checked before JAX parses a byte of it, so a damaged file (flipped bits,
a changed constant that would still parse, a cut-off write) is never run: it is reported in
one line on stderr, built afresh and written over, and the run's numbers are a clean cache's.
"""

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jax
from jax import export  # a submodule: older JAX does not load it with `import jax`

from lstmlab import __version__
from lstmlab.engine.runtime import cache_dir
from lstmlab.i18n import _

SUFFIX = ".jaxexport"
FORMAT = 2  # 2: a sha256 header line before the program (1, before it, had none and is never read)
HEADER = b"lstmlab-program sha256 "  # + 64 hex digits + b"\n", then the program


@cache
def source_digest() -> str:
    """sha256 of lstmlab's own source: a changed function must never run an old program."""
    return digest_of(Path(__file__).parents[1])  # the whole package, every subpackage


def digest_of(package: Path) -> str:
    """sha256 of every module under `package`, subpackages included, each by its path there:
    an edit to a module in any folder, or a module moved, gives another digest."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def program_path(name: str, key: dict, args) -> Path:
    specs = [(tuple(a.shape), str(a.dtype)) for a in jax.tree_util.tree_leaves(args)]
    identity = {
        "name": name,
        "key": key,
        "args": specs,
        "lstmlab": __version__,
        "source": source_digest(),
        "format": FORMAT,
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
    """The program kept at `path`, checked; None when there is none or it is damaged (said on stderr)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # not kept yet: export it
        return None
    except OSError as e:
        return _damaged(path, _("cannot read it: {reason}").format(reason=e.strerror or e))
    program = _verified(data)
    if program is None:
        return _damaged(path, _("its checksum is missing or does not match"))
    try:
        exported = export.deserialize(bytearray(program))
        exported.mlir_module()  # JAX parses the program itself only when it is called: parse it here
    except Exception:  # its checksum holds, yet JAX cannot read it (a JAX that writes otherwise)
        return _damaged(path, _("JAX cannot read it"))
    return exported


def _verified(data: bytes) -> bytes | None:
    """The program in a kept file's bytes, if its header's sha256 is the program's; else None."""
    header, newline, program = data.partition(b"\n")
    if not newline or not header.startswith(HEADER):
        return None
    if header[len(HEADER) :] != hashlib.sha256(program).hexdigest().encode():
        return None
    return program


def _damaged(path: Path, reason: str) -> None:
    line = _("Warning: the kept program '{path}' was damaged ({reason}); building it again")
    line = line.format(path=path, reason=reason)
    sys.stderr.write(line + "\n")
    return None


def _save(path: Path, exported):
    program = exported.serialize()
    data = HEADER + hashlib.sha256(program).hexdigest().encode() + b"\n" + program
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
