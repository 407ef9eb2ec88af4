"""Which engine runs a sweep's missing jobs: the plain local loop, or Ray.

Either way each finished job's result is written into the sweep's folder at once, so a
sweep cut short keeps everything it finished. Ray is loaded only when asked for.
"""

from collections.abc import Callable, Sequence
from pathlib import Path

from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.sweeps.sweep import save_result
from lstmlab.sweeps.worker import check_devices, note_start, stamped

ENGINES = ("local", "ray")


def check_engine(engine: str, address: str | None) -> None:
    """Before any work: a known engine, --address only with Ray, Ray installed when asked for."""
    if engine not in ENGINES:
        raise ConfigError(
            _("--engine {engine!r} is not an engine; choose one of: {value}").format(
                engine=engine, value=", ".join(ENGINES)
            )
        )
    if address is not None and engine != "ray":
        raise ConfigError(
            _("--address {address!r} is for --engine ray; add it, or leave out --address").format(address=address)
        )
    if engine == "ray":
        from lstmlab.sweeps.engine_ray import check_available

        check_available()


def run_missing(
    jobs: Sequence,
    ids: Sequence[str],
    missing: Sequence[int],
    out: Path,
    cores: int,
    work: Callable[[object], dict],
    *,
    engine: str = "local",
    address: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> None:
    """Run work(jobs[i]) for each i in `missing` (`work`: a module-level function returning the
    job's plain document); each saved in `out` as it finishes, as jobs/<ids[i]>.json, then on_done(i)."""

    def finished(index: int, document: dict) -> None:
        save_result(out, document | {"id": ids[index]})
        if on_done is not None:
            on_done(index)

    if not missing:  # a resumed sweep that is complete: nothing to start, not even Ray
        return
    if engine == "ray":
        from lstmlab.sweeps.engine_ray import run_on_ray

        chosen = [(jobs[i], ids[i]) for i in missing]
        run_on_ray(chosen, cores, work, lambda k, document: finished(missing[k], document), address=address)
        return
    from lstmlab.engine import runtime

    runtime.use_cpu_cores(cores)
    runtime.enable_compile_cache()
    check_devices(cores)
    for index in missing:  # the plain local loop
        note_start(ids[index])
        finished(index, stamped(work(jobs[index]), cores))
