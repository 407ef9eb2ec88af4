"""Folders lstmlab writes whole (a saved model, a report): check the target, then swap it in.

check_target(...)      - before any work: the target is new, empty, or one of ours, and the
                         folder it goes in really takes new folders
write_atomically(...)  - write into a folder beside the target, then swap it into place

A target that is a symbolic link to a folder is written through: the folder it points at is
replaced and the link, untouched, leads to the new content. A link that leads nowhere is
refused. Every failure is one error naming the target; the target is then as it was.
"""

import contextlib
import ctypes
import errno
import functools
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from lstmlab.errors import LstmlabError
from lstmlab.i18n import _

MODE = 0o755  # mkdtemp makes a private folder; what lstmlab writes is for reading
AT_FDCWD = -100  # renameat2's "relative to the current folder", as the open() family takes it
RENAME_EXCHANGE = 2  # from <linux/fs.h>


def check_target(
    target: str | os.PathLike,
    *,
    is_ours: Callable[[Path], bool],
    label: str,
    kind: str,
    error: type[LstmlabError],
    parent_must_exist: bool = False,
) -> Path:
    """Raise `error` unless `target` may be (re)written whole: absent, empty, or is_ours(target).

    The folders above it must be folders, and the nearest one that exists must take a new
    folder (tried for real); missing ones are created when written, unless `parent_must_exist`.
    A symbolic link is checked where it leads. Messages start with `label` (say "cannot save
    to 'm':") and call a folder lstmlab may replace `kind` (say "an lstmlab model").
    """
    target = Path(target)
    if any("\ud800" <= c <= "\udfff" for c in str(target)):  # bytes that were not UTF-8, kept by Python
        raise error(
            _("{label} the name is not UTF-8 text, and lstmlab records it in what it writes; give a UTF-8 name")
            .format(label=label)
        )
    try:
        real = _followed(target, label, error)
        _not_around_here(real, label, error)
        ancestor = _nearest_folder(real, label, error)
        if not ancestor.is_dir():
            raise error(_("{label} '{ancestor}' is a file, not a folder").format(label=label, ancestor=ancestor))
        if parent_must_exist and not real.absolute().parent.is_dir():
            raise error(
                _("{label} its folder '{parent}' does not exist; create it first").format(
                    label=label, parent=target.parent
                )
            )
        _try_a_folder_in(ancestor, label, error)
        if not real.exists():
            return target
        if not real.is_dir():
            raise error(_("{label} it is a file, not a folder").format(label=label))
        entries = sorted(p.name for p in real.iterdir())
        if entries and not is_ours(real):
            shown = ", ".join(entries[:5]) + (", …" if len(entries) > 5 else "")
            raise error(
                _(
                    "{label} it holds files that are not {kind} ({shown}); "
                    "give a new or empty folder, or one that holds {kind} (which is replaced)"
                ).format(label=label, kind=kind, shown=shown)
            )
    except OSError as e:  # a folder on the way that cannot be listed or looked into
        raise error(
            _("{label} cannot look into '{path}': {reason}").format(
                label=label, path=e.filename or target, reason=_reason(e)
            )
        ) from None
    return target


def write_atomically(
    target: str | os.PathLike,
    write: Callable[[Path], None],
    *,
    error: type[LstmlabError] = LstmlabError,
    label: str | None = None,
) -> Path:
    """Run write(tmp) on a new folder beside `target`, flush it to disk, swap it into place.

    `target` is never missing, even for a moment: an existing one is exchanged with the new
    folder in one step (Linux renameat2), else moved aside and the new one renamed in, with
    Ctrl-C, SIGTERM and SIGHUP held back for those two renames. Any OSError (a missing permission, a
    full disk, a failed rename) raises `error` as one line starting with `label` (default
    "cannot write 'TARGET':") and giving the reason; on that or any other exception
    (KeyboardInterrupt included) the new folder is removed and `target` is left as it was.
    """
    target = Path(target)
    label = label or _("cannot write '{target}':").format(target=target)
    final = _followed(target, label, error)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_left_behind(final)
        tmp = Path(tempfile.mkdtemp(prefix=_left_prefix(final, "saving"), dir=final.parent))
    except OSError as e:
        raise error(
            _("{label} cannot create a folder in '{folder}': {reason}").format(
                label=label, folder=e.filename or final.parent, reason=_reason(e)
            )
        ) from None
    try:
        write(tmp)
        _fsync_tree(tmp)
        os.chmod(tmp, MODE)
        with _signals_held():
            _swap_in(tmp, final)
    except OSError as e:
        raise error(
            _("{label} {reason}; '{target}' is as it was").format(label=label, reason=_reason(e), target=target)
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # only there if something failed
    _fsync_quietly(final.parent)
    return target


def _left_prefix(target: Path, what: str) -> str:
    """The name's start of a folder or file written beside `target` on its way in: it names
    this process, so a later write can tell one whose writer is gone (`kill -9`, a power cut)."""
    return f".{target.name}.{what}-{os.getpid()}-"


def remove_left_behind(target: Path) -> list[Path]:
    """Remove what an earlier write of `target` left beside it when its process was killed
    before it could clean up; those of a process still running are left alone. Returns them."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(saving|old|writing)-(\d+)-")
    removed = []
    with contextlib.suppress(OSError):  # a folder that cannot be listed: the write itself will say so
        for entry in os.scandir(target.parent if str(target.parent) else "."):
            match = pattern.match(entry.name)
            if match and not _running(int(match[2])):
                path = Path(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM): it exists
        return True
    return True


def _reason(e: OSError) -> str:
    return e.strerror or str(e) or type(e).__name__


def _followed(path: Path, label: str, error: type[LstmlabError]) -> Path:
    """Where `path` leads: itself, or the real path of the folder a symbolic link points at.

    Writing through the link keeps it (a user's `models/latest -> v3` stays a link); renaming
    over the link itself would put a folder in its place, or fail.
    """
    if not path.is_symlink():
        return path
    try:
        os.stat(path)
    except OSError as e:
        raise error(
            _("{label} '{path}' is a symbolic link to '{link}', which cannot be followed ({reason})").format(
                label=label, path=path, link=os.readlink(path), reason=_reason(e)
            )
        ) from None
    return Path(os.path.realpath(path))


def _not_around_here(path: Path, label: str, error: type[LstmlabError]) -> None:
    """Refuse the current folder and the folders above it: a folder is replaced whole, and
    the one a command runs in cannot be swapped away (the system refuses, after the work)."""
    where = Path.cwd().resolve()
    if path.resolve() in (where, *where.parents):
        example = "lstmlab-out" if str(path) in ("", ".") else str(path / "lstmlab-out")
        raise error(
            _(
                "{label} it is the current folder or a folder above it; "
                "give the name of a folder to create, such as '{example}'"
            ).format(label=label, example=example)
        )


def _nearest_folder(path: Path, label: str, error: type[LstmlabError]) -> Path:
    """The nearest folder above `path` that exists ("m/x" -> "m" or "."; "." -> its own parent).

    A dangling link on the way is refused here: creating the folders below it would fail.
    """
    for parent in path.parents:
        if parent.exists():
            return parent
        _followed(parent, label, error)
    return path.absolute().parent


def _try_a_folder_in(folder: Path, label: str, error: type[LstmlabError]) -> None:
    """Create and remove a folder in `folder`, or raise `error` saying why not.

    os.access() only reads the permission bits, which root passes even where nothing can be
    created (a read-only file system, /sys); trying is the only honest answer.
    """
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".lstmlab-probe-", dir=folder))
    except OSError as e:
        raise error(
            _("{label} cannot create a folder in '{folder}': {reason}").format(
                label=label, folder=folder, reason=_reason(e)
            )
        ) from None


# --- the swap ------------------------------------------------------------------------------


def _swap_in(new: Path, target: Path) -> None:
    """Put the folder `new` at `target`, then remove the folder that was there, if any."""
    if not os.path.lexists(target):
        os.replace(new, target)
    elif target.is_dir() and _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # `new` now names the old folder
    else:
        _swap_by_renames(new, target)


def _swap_by_renames(new: Path, target: Path) -> None:
    """Move `target` aside, rename `new` into place, remove the old one.

    Whatever is raised and wherever (even right after a rename that succeeded), `target` ends
    as the old folder or the new one: the old is deleted only once the new one is in place.
    """
    old = Path(tempfile.mkdtemp(prefix=_left_prefix(target, "old"), dir=target.parent))
    try:
        os.replace(target, old)  # a folder replaces an empty folder by rename
        os.replace(new, target)
    except BaseException:
        if not os.path.lexists(target):
            os.replace(old, target)  # put the old folder back
        raise
    finally:
        if os.path.lexists(target):
            shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step; False where the system or file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):  # flag or call not supported here
        return False
    raise OSError(code, os.strerror(code), str(b))


@functools.cache
def _renameat2():
    """glibc's renameat2 (Linux 3.15+, glibc 2.28+), or None."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends, then deliver them.

    Python runs handlers in the main thread only, so replacing them there holds a signal
    whichever thread receives it (blocking with pthread_sigmask would not: JAX's threads
    still take it). Elsewhere signal.signal cannot be called, and nothing is held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        handler = signal.getsignal(signum)
        if handler not in (signal.SIG_IGN, None):  # None: set outside Python, cannot be restored
            previous[signum] = signal.signal(signum, lambda number, _frame: received.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)


def write_file_atomically(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """One file written whole or not at all: a reader sees the old file or the new one, never
    part of one; a failure (OSError, raised) or a crash leaves at most a hidden temporary file
    beside it, removed when the failure is ours to see. `exclusive`: FileExistsError rather
    than replace a file that is there (it is linked into place, which fails if one is)."""
    path = Path(path)
    remove_left_behind(path)
    handle, tmp = tempfile.mkstemp(prefix=_left_prefix(path, "writing"), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o644)
        if exclusive:
            _link_new(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone already once replaced; a second name once linked
    _fsync_quietly(path.parent)  # the new name is in place; flushing the listing is a bonus


def _link_new(tmp: str, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename (a lock must keep others out)
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(tmp, path)


# --- flushing ------------------------------------------------------------------------------


def _fsync_tree(folder: Path) -> None:
    """Flush every file under `folder` to disk, so the rename never publishes empty files."""
    for path in sorted(folder.rglob("*")) + [folder]:
        _fsync(path)


def _fsync_quietly(folder: Path) -> None:
    """Flush the folder's listing. The new folder is already in place and whole, so failing
    here must not report the write as failed (some file systems cannot fsync a folder)."""
    with contextlib.suppress(OSError):
        _fsync(folder)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
