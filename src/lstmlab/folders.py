"""Folders lstmlab writes whole (a saved model, a report): check the target, then swap it in.

check_target(...)      - before any work: the target is new, empty, or one of ours
write_atomically(...)  - write into a folder beside the target, then rename it into place
"""

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from lstmlab.errors import LstmlabError

MODE = 0o755  # mkdtemp makes a private folder; what lstmlab writes is for reading


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

    The folders above it must be folders and writable; missing ones are created when written,
    unless `parent_must_exist`. Messages start with `label` (say "cannot save to 'm':") and
    call a folder lstmlab may replace `kind` (say "an lstmlab model").
    """
    target = Path(target)
    # The nearest folder that exists: "m/x" -> "m" or "."; "." has no parents, so its own parent.
    ancestor = next((p for p in target.parents if p.exists()), target.absolute().parent)
    if not ancestor.is_dir():
        raise error(f"{label} '{ancestor}' is a file, not a folder")
    if parent_must_exist and not target.absolute().parent.is_dir():
        raise error(f"{label} its folder '{target.parent}' does not exist; create it first")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise error(f"{label} the folder '{ancestor}' is not writable")
    if not target.exists():
        return target
    if not target.is_dir():
        raise error(f"{label} it is a file, not a folder")
    entries = sorted(p.name for p in target.iterdir())
    if entries and not is_ours(target):
        shown = ", ".join(entries[:5]) + (", …" if len(entries) > 5 else "")
        raise error(
            f"{label} it holds files that are not {kind} ({shown}); "
            f"give a new or empty folder, or one that holds {kind} (which is replaced)"
        )
    return target


def write_atomically(target: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Run write(tmp) on a new folder beside `target`, flush it to disk, rename it to `target`.

    On any exception (KeyboardInterrupt included) the new folder is removed and `target` is
    left as it was. An existing `target` is moved aside first and removed only once the new
    one is in place; if that rename fails, it is moved back.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
    try:
        write(tmp)
        _fsync_tree(tmp)
        os.chmod(tmp, MODE)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old)  # a folder replaces an empty folder by rename
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
        _fsync(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _fsync_tree(folder: Path) -> None:
    """Flush every file under `folder` to disk, so the rename never publishes empty files."""
    for path in sorted(folder.rglob("*")) + [folder]:
        _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
