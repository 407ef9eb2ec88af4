"""A sweep's output folder: what it records, so that nothing finished is ever lost or mixed.

    OUT/sweep.lock        - held (an OS lock) by the process running the sweep, while it runs
    OUT/sweep.json        - the sweep's resolved settings and its job list (written first)
    OUT/jobs/<id>.json    - one finished job's result, written the moment it finishes
    OUT/report.*, ...     - the report, built from the job files once every job is there

check_folder(...)   - before any work: OUT may hold a new sweep, or (with --resume) this one
claimed(...)        - the whole sweep inside: OUT checked and held by this process alone
begin(...)          - record the settings (or check them against OUT's) and say which jobs are
                      missing: those without a file, and those whose file does not check whole
checked(...)        - one job's outcome from its file, checked whole: the one check of a job file
save_result(...)    - write one job's result atomically (a temporary file, then os.replace)
read_checked(...)   - every job's outcome, read back from OUT/jobs in plan order
sweep_files(...)    - sweep.json and jobs/*, to be carried into the final report folder
write_report(...)   - the report and those, swapped into place at once

The report is made from the files on disk, never from what ran in this process, so it is the
same whichever jobs ran when, on which engine.
"""

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from lstmlab import __version__
from lstmlab.errors import ConfigError
from lstmlab.i18n import _
from lstmlab.model import folders
from lstmlab.results.reproduction import REPORT_FILES, is_report_folder

SWEEP_FILE = "sweep.json"
JOBS = "jobs"
LOCK_FILE = "sweep.lock"  # locked by the running sweep; a killed one leaves the file, never the lock


def digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def is_sweep_folder(folder: Path) -> bool:
    """A sweep's folder: sweep.json, jobs/, and a report (when finished), nothing else."""
    names = {p.name for p in folder.iterdir()}
    return (
        (folder / SWEEP_FILE).is_file()
        and names <= {SWEEP_FILE, JOBS, LOCK_FILE, *REPORT_FILES, "report.txt", "figures"}  # report.txt: run's
        and all((folder / name).is_dir() for name in (JOBS, "figures") if name in names)
    )


def _is_ours(folder: Path) -> bool:
    """A folder a sweep may take: a sweep's, a report's, or one a sweep killed at its start left
    (only its lock file, beside a report or alone)."""
    if not {p.name for p in folder.iterdir()} - {LOCK_FILE}:
        return True
    return is_sweep_folder(folder) or is_report_folder(folder, besides=(LOCK_FILE,))


def check_folder(out: str | os.PathLike, resume: bool, *, held: bool = False) -> Path:
    """Before any work: `out` may be new, empty, a previous report (replaced when the sweep is
    done), or with `resume` a sweep to finish. A sweep there without `resume` is refused: its
    finished jobs are never thrown away by accident. So are a file, the current folder or one
    above it, a place where no folder can be created (folders.check_target), and (unless this
    process holds it: `held`) a folder another sweep is running in."""
    out = Path(out)
    label = f"--out {str(out)!r}:"
    folders.check_target(
        out,
        is_ours=_is_ours,
        label=label,
        kind=_("an lstmlab report or sweep"),
        error=ConfigError,
        parent_must_exist=True,
    )
    if not held:
        _not_in_use(out, label)
    recorded = (out / SWEEP_FILE).is_file()
    if recorded and not resume:
        raise ConfigError(
            _("{label} it holds a sweep already; add --resume to finish it, or give another --out").format(label=label)
        )
    if resume and not recorded and out.is_dir() and any(p.name != LOCK_FILE for p in out.iterdir()):
        raise ConfigError(
            _("--resume: {value!r} holds no sweep ({SWEEP_FILE} is missing); leave out --resume").format(
                value=str(out), SWEEP_FILE=SWEEP_FILE
            )
        )
    return out


@contextlib.contextmanager
def claimed(out: str | os.PathLike, resume: bool) -> Iterator[Path]:
    """Run a sweep inside: `out` checked (check_folder), created if new, and held by this
    process alone until the block ends, so two sweeps never mix their files in one folder.

    The hold is an OS lock (flock) on OUT/sweep.lock, which records the holder's pid: the
    system drops it when the process ends however it ends, so a killed sweep never leaves a
    claim behind. A second sweep on a held folder is refused (ConfigError naming the holder)
    before it writes anything. The checks are made again once the folder is held: what they
    saw may have changed while another sweep held it."""
    out = check_folder(out, resume)
    created = not os.path.lexists(out)
    fd = _lock(out)
    try:
        check_folder(out, resume, held=True)
        yield out
    finally:
        _unlock(out, fd)
        if created:
            with contextlib.suppress(OSError):  # only if empty: a sweep that failed before writing anything
                out.rmdir()


def _lock(out: Path) -> int:
    """Create `out` if need be and take its lock file's lock; the open descriptor holds it."""
    label = f"--out {str(out)!r}:"
    path = out / LOCK_FILE
    for _attempt in range(50):
        try:
            out.mkdir(exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:  # the folder went away between the two: a failed sweep removed its new folder
            continue
        except OSError as e:
            raise ConfigError(
                _("{label} cannot create '{path}': {reason}").format(label=label, path=path, reason=e.strerror or e)
            ) from None
        try:
            _flock_soon(fd)
        except OSError as e:
            holder = _holder(fd) if e.errno in (errno.EAGAIN, errno.EACCES) else None
            os.close(fd)
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise ConfigError(
                    _("{label} cannot lock '{path}': {reason}").format(label=label, path=path, reason=e.strerror or e)
                ) from None
            raise _in_use(label, holder) from None
        if _same_file(fd, path):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)  # the file was removed or swapped away before the lock was ours: take the one there now
    raise _in_use(label, None)


def _flock_soon(fd: int, tries: int = 5) -> None:
    """Take the lock, trying a few times over some 50 ms: another start's check holds it for
    a moment (_not_in_use); a running sweep holds it throughout."""
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt == tries - 1:
                raise
            time.sleep(0.01)


def _not_in_use(out: Path, label: str) -> None:
    """Refuse a folder whose lock another process holds (tried, and given back at once)."""
    try:
        fd = os.open(out / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no lock file: no sweep has run there, or it finished
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _in_use(label, _holder(fd)) from None
    except OSError:  # a file system without locks: _lock will say so
        pass
    finally:
        os.close(fd)


def _in_use(label: str, pid: int | None) -> ConfigError:
    if pid is None:
        message = _("{label} it is in use by another lstmlab sweep; wait for it to finish, or give another --out")
        return ConfigError(message.format(label=label))
    message = _(
        "{label} it is in use by another lstmlab sweep (pid {pid}); wait for it to finish, or give another --out"
    )
    return ConfigError(message.format(label=label, pid=pid))


def _holder(fd: int) -> int | None:
    """The pid the holder wrote into the lock file (it writes it at once after locking)."""
    for _attempt in range(20):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.01)
    return None


def _same_file(fd: int, path: Path) -> bool:
    try:
        there, held = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (there.st_dev, there.st_ino) == (held.st_dev, held.st_ino)


def _unlock(out: Path, fd: int) -> None:
    """Remove the lock file, if it is still the one held (a finished sweep's folder was
    swapped for the report's, which has none), then give the lock back."""
    try:
        if _same_file(fd, out / LOCK_FILE):
            with contextlib.suppress(OSError):
                (out / LOCK_FILE).unlink()
    finally:
        os.close(fd)


def cores_per_job(out: Path, resume: bool) -> int:
    """The CPU devices each job splits its seeds over: as recorded when resuming a sweep (so
    a resume elsewhere gives the same results), else the cores this process may use, or the
    CPU devices its JAX has if it started already (a library caller's, a test's)."""
    if resume and (Path(out) / SWEEP_FILE).is_file():
        cores = recorded_settings(Path(out)).get("cores_per_job")
        if _is_int(cores) and cores > 0:  # not a bool: true is no count of cores
            return cores
    from lstmlab.engine.runtime import available_cores

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


def begin(
    out: Path,
    settings: dict,
    ids: Sequence[str],
    resume: bool,
    outcome: "Outcome | None" = None,
    say: Callable[[str], None] | None = None,
) -> list[int]:
    """Record the sweep of jobs `ids` in `out` (or, resuming, check `out` holds this very
    sweep) and return the indices of the jobs to run, in plan order: those without a file,
    and those whose file does not check whole by `outcome` (the check that reads it for the
    report); say(line) names each of those (default: a line on stderr)."""
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
        _create(out / SWEEP_FILE, {"kind": "sweep", "lstmlab": __version__, "settings": settings, "jobs": ids})
    (out / JOBS).mkdir(exist_ok=True)
    missing = []
    for index, name in enumerate(ids):
        if not (out / JOBS / f"{name}.json").is_file():
            missing.append(index)
            continue
        if outcome is None:
            continue
        try:
            job_outcome(out, ids, index, outcome)
        except JobFileError as e:
            line = _("{where} {reason}; running that job again").format(where=e.where, reason=e.reason)
            (say or _say)(line)
            missing.append(index)
    return missing


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _create(path: Path, document: dict) -> None:
    """Write a new file whole, refusing if one is there (a sweep started there meanwhile)."""
    data = (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        folders.write_file_atomically(path, data, exclusive=True)
    except FileExistsError:
        label = f"--out {str(path.parent)!r}:"
        taken = _("{label} it holds a sweep already; add --resume to finish it, or give another --out")
        raise ConfigError(taken.format(label=label)) from None


def write_atomically(path: Path, document: dict) -> None:
    """A reader sees the old file or the new one, never part of one; a crash leaves at most a
    hidden temporary file beside it."""
    folders.write_file_atomically(path, (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def save_result(out: Path, document: dict) -> Path:
    path = Path(out) / JOBS / f"{document['id']}.json"
    write_atomically(path, document)
    return path


# --- a job file, checked whole -------------------------------------------------------------------

Outcome = Callable[[int, dict, str], object]  # (job index, its document, where) -> its outcome, or JobFileError


class JobFileError(ConfigError):
    """A job file that does not check whole: `where` names it, `reason` says how ("is damaged
    (...)", "is not job X's: ..."). --resume runs its job again."""

    def __init__(self, where: str, reason: str):
        self.where, self.reason = where, reason
        message = _("{where} {reason}; run the same command with --resume to run that job again")
        super().__init__(message.format(where=where, reason=reason))


class Damaged(ValueError):
    """What is wrong with a value of a job's document; `checked` names the file."""


def job_outcome(out: Path, ids: Sequence[str], index: int, outcome: Outcome):
    """Job `index`'s outcome from its file, by `outcome`: JobFileError if it is not JSON, or
    does not check whole; ConfigError if it cannot be read at all."""
    path = Path(out) / JOBS / f"{ids[index]}.json"
    where = f"'{path}'"
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(_("cannot read the job result '{path}': {e}").format(path=path, e=e.strerror or e)) from None
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError as e:  # not UTF-8, or not JSON (cut short, empty)
        problem = _("it is not JSON ({e})").format(e=e)
        raise JobFileError(where, _("is damaged ({problem})").format(problem=problem)) from None
    return outcome(index, document, where)


def read_checked(out: Path, ids: Sequence[str], outcome: Outcome) -> list:
    """Every job's outcome, read from its file and checked whole, in the order of `ids`."""
    return [job_outcome(out, ids, index, outcome) for index in range(len(ids))]


def checked(where: str, name: str, expected: dict, document, read: Callable[[dict], object]):
    """The one check of a job file, whichever command's: `document` is job `name`'s (each
    field of `expected` equal to it, of the same JSON kinds: 1.0 is not the seed 1) and
    read(document) makes its outcome, checking every value it uses (raising Damaged, or a
    KeyError for a field missing). Anything else is a JobFileError naming the file."""
    if not isinstance(document, dict):
        raise JobFileError(where, _("is damaged ({problem})").format(problem=_("it is not a JSON object")))
    for field, value in expected.items():
        if not _identical(document.get(field), json.loads(json.dumps(value))):
            raise JobFileError(where, _("is not job {id}'s: its {name!r} field differs").format(id=name, name=field))
    try:
        return read(document)
    except KeyError as e:
        problem = _("it has no {name!r} field").format(name=e.args[0])
    except (TypeError, ValueError, AttributeError, IndexError) as e:  # Damaged, or a shape read() did not expect
        problem = str(e)
    raise JobFileError(where, _("is damaged ({problem})").format(problem=problem))


def _identical(a, b) -> bool:
    """Equal as JSON values, kinds included (Python's 1 == 1.0 == True is not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def shown(value) -> str:
    """A value as the file has it (JSON: "5" quoted, true, NaN), cut short if long."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def whole(value, name: str, low: int = 0, high: int | None = None) -> int:
    """A count: an int (not a bool, not 2.0) from `low` to `high`."""
    if _is_int(value) and value >= low and (high is None or value <= high):
        return value
    if high is None:
        message = _("its {name!r} is {value}, not a whole number of at least {low}")
    else:
        message = _("its {name!r} is {value}, not a whole number from {low} to {high}")
    raise Damaged(message.format(name=name, value=shown(value), low=low, high=high))


def solved(value, name: str, budget: int) -> int:
    """A seed's training sequences to solve: -1 (never), or from 1 to the budget."""
    if _is_int(value) and (value == -1 or 1 <= value <= budget):
        return value
    message = _("its {name!r} is {value}, not -1 (never solved) or a number of training sequences from 1 to {budget}")
    raise Damaged(message.format(name=name, value=shown(value), budget=budget))


def share(value, name: str) -> float:
    """A share (an accuracy, a probability): a number from 0 to 1 (NaN is not)."""
    if _is_number(value) and 0 <= value <= 1:
        return float(value)
    raise Damaged(_("its {name!r} is {value}, not a share from 0 to 1").format(name=name, value=shown(value)))


def seconds(value, name: str) -> float:
    if _is_number(value) and math.isfinite(value) and value >= 0:
        return float(value)
    message = _("its {name!r} is {value}, not a number of seconds (0 or more)")
    raise Damaged(message.format(name=name, value=shown(value)))


def finite(value, name: str) -> float:
    if _is_number(value) and math.isfinite(value):
        return float(value)
    raise Damaged(_("its {name!r} is {value}, not a finite number").format(name=name, value=shown(value)))


def number(value, name: str) -> float:
    """A loss: any number, inf and NaN included (a training that diverged records them)."""
    if _is_number(value):
        return float(value)
    raise Damaged(_("its {name!r} is {value}, not a number").format(name=name, value=shown(value)))


def text(value, name: str) -> str:
    if isinstance(value, str):
        return value
    raise Damaged(_("its {name!r} is {value}, not text").format(name=name, value=shown(value)))


def equal(value, name: str, expected):
    """A value the job decides (its seed at this place, its check interval)."""
    if _identical(value, expected):
        return value
    message = _("its {name!r} is {value}, not {expected}")
    raise Damaged(message.format(name=name, value=shown(value), expected=shown(expected)))


def listed(value, name: str, per_seed: int | None = None, most: int | None = None) -> list:
    """A list; with `per_seed`, one value per seed; with `most`, at most that many."""
    if not isinstance(value, list):
        raise Damaged(_("its {name!r} is {value}, not a list").format(name=name, value=shown(value)))
    if per_seed is not None and len(value) != per_seed:
        raise Damaged(
            _("its {name!r} does not hold one value per seed: {n} for {seeds}").format(
                name=name, n=len(value), seeds=per_seed
            )
        )
    if most is not None and len(value) > most:
        message = _("its {name!r} holds {n} values, more than the {most} checks of the budget")
        raise Damaged(message.format(name=name, n=len(value), most=most))
    return value


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
