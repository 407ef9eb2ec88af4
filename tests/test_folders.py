"""Folders written whole: the target checked before any work, every failure one line that names
it, and the swap that never leaves the target missing (a symbolic link written through)."""

import errno
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.model import folders

OLD, NEW = "old", "new"


def write_files(text: str):
    """A writer that puts `text` in a.txt and sub/b.txt: a folder with a folder inside."""

    def write(folder: Path) -> None:
        (folder / "a.txt").write_text(text)
        (folder / "sub").mkdir()
        (folder / "sub" / "b.txt").write_text(text)

    return write


def contents(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def whole(text: str) -> dict[str, str]:
    return {"a.txt": text, "sub/b.txt": text}


def entries(folder: Path) -> list[str]:
    """What lies in `folder`, hidden names too: a left-over .NAME.saving-* or .NAME.old-* shows."""
    return sorted(p.name for p in folder.iterdir())


def check(target: Path, **options) -> Path:
    return folders.check_target(
        target,
        is_ours=lambda p: (p / "a.txt").is_file(),
        label=f"cannot write '{target}':",
        kind="ours",
        error=ConfigError,
        **options,
    )


def raise_(error: BaseException):
    raise error


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


@pytest.fixture
def existing(tmp_path) -> Path:
    folders.write_atomically(tmp_path / "out", write_files(OLD))
    return tmp_path / "out"


# --- 1. a target that cannot be created is refused before any work ---------------------------


def read_only_place(place: str) -> Path:
    """A folder where nothing can be created, even by root; skip where there is none."""
    folder = Path(place)
    if not folder.is_dir():
        pytest.skip(f"{place} does not exist here")
    try:
        os.rmdir(tempfile.mkdtemp(dir=folder))
    except OSError:
        return folder
    pytest.skip(f"folders can be created in {place} here")


@pytest.mark.parametrize("place", ["/sys", "/proc"])
def test_a_target_in_a_read_only_place_is_refused_before_any_work(place):
    folder = read_only_place(place)
    target = folder / "lstmlab-test" / "out"
    # os.access() says yes for root; only trying tells the truth
    with pytest.raises(ConfigError, match=f"^cannot write '{target}': cannot create a folder in '{folder}': .+$"):
        check(target)


@pytest.mark.parametrize("place", ["/sys", "/proc"])
def test_writing_into_a_read_only_place_is_one_line_not_a_traceback(place):
    folder = read_only_place(place)
    target = folder / "lstmlab-test" / "out"
    with pytest.raises(ConfigError, match=f"^cannot write '{target}': cannot create a folder in '.+': .+$"):
        folders.write_atomically(target, write_files(NEW), error=ConfigError)
    assert not target.parent.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a folder of mode 555")
def test_a_target_in_a_folder_without_write_permission_is_refused(tmp_path):
    (tmp_path / "locked").mkdir(mode=0o555)
    target = tmp_path / "locked" / "new" / "out"
    with pytest.raises(ConfigError, match=f"cannot create a folder in '{tmp_path / 'locked'}': Permission denied$"):
        check(target)


def test_a_folder_that_cannot_be_listed_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(
        Path, "iterdir", lambda path: raise_(PermissionError(errno.EACCES, "Permission denied", str(path)))
    )
    with pytest.raises(ConfigError, match="^cannot write '.*out': cannot look into '.*out': Permission denied$"):
        check(tmp_path / "out")


# --- 2. every OSError while writing is one line, and leaves nothing behind --------------------

FAILURES = {
    "making the temporary folder": lambda mp: mp.setattr(
        tempfile, "mkdtemp", lambda **_: raise_(oserror(errno.EDQUOT))
    ),
    "writing": None,  # the writer itself fails: see below
    "flushing": lambda mp: mp.setattr(os, "fsync", lambda fd: raise_(oserror(errno.EIO))),
    "setting the mode": lambda mp: mp.setattr(os, "chmod", lambda *a: raise_(oserror(errno.EPERM))),
    "the exchange": lambda mp: mp.setattr(folders, "_exchange", lambda a, b: raise_(oserror(errno.EXDEV))),
    "renaming": lambda mp: mp.setattr(os, "replace", lambda a, b: raise_(oserror(errno.EBUSY))),
}
REASONS = {
    "making the temporary folder": errno.EDQUOT,
    "writing": errno.ENOSPC,
    "flushing": errno.EIO,
    "setting the mode": errno.EPERM,
    "the exchange": errno.EXDEV,
    "renaming": errno.EBUSY,
}


def failing_writer(folder: Path) -> None:
    (folder / "a.txt").write_text("half")
    raise oserror(errno.ENOSPC)


@pytest.mark.parametrize("step", FAILURES)
@pytest.mark.parametrize("exists", [True, False], ids=["over-a-folder", "new"])
def test_an_oserror_at_any_step_is_one_line_and_changes_nothing(tmp_path, monkeypatch, step, exists):
    if step == "the exchange" and not exists:
        pytest.skip("a new folder is renamed into place, never exchanged")
    target = tmp_path / "out"
    if exists:
        folders.write_atomically(target, write_files(OLD))
    before = entries(tmp_path), contents(tmp_path)
    if step == "renaming":
        monkeypatch.setattr(folders, "_exchange", lambda a, b: False)  # a system without renameat2
    if FAILURES[step]:
        FAILURES[step](monkeypatch)
    writer = failing_writer if step == "writing" else write_files(NEW)
    reason = os.strerror(REASONS[step])
    if step == "making the temporary folder":
        message = f"^cannot write '{target}': cannot create a folder in '{tmp_path}': {reason}$"
    else:
        message = f"^cannot write '{target}': {reason}; '{target}' is as it was$"
    with pytest.raises(ConfigError, match=message):
        folders.write_atomically(target, writer, error=ConfigError)
    monkeypatch.undo()
    assert (entries(tmp_path), contents(tmp_path)) == before


def test_creating_the_folders_above_fails_as_one_line(tmp_path, monkeypatch):
    target = tmp_path / "deep" / "er" / "out"
    monkeypatch.setattr(Path, "mkdir", lambda path, **_: raise_(OSError(errno.ENOSPC, "No space left on device", path)))
    with pytest.raises(ConfigError, match=f"^cannot write '{target}': cannot create a folder in '.*deep/er': No space"):
        folders.write_atomically(target, write_files(NEW), error=ConfigError)
    monkeypatch.undo()
    assert entries(tmp_path) == []


def test_the_error_class_and_label_default_sensibly(tmp_path, monkeypatch):
    # reproduction's report writer passes neither
    monkeypatch.setattr(os, "fsync", lambda fd: raise_(oserror(errno.EIO)))
    with pytest.raises(LstmlabError, match=f"^cannot write '{tmp_path / 'out'}': Input/output error") as raised:
        folders.write_atomically(tmp_path / "out", write_files(NEW))
    assert type(raised.value) is LstmlabError
    with pytest.raises(ConfigError, match="^--out 'x': Input/output error"):
        folders.write_atomically(tmp_path / "out", write_files(NEW), error=ConfigError, label="--out 'x':")


# --- 3. symbolic links -----------------------------------------------------------------------


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "renames"])
def test_a_link_to_a_folder_is_written_through_and_stays_a_link(tmp_path, monkeypatch, exchange):
    folders.write_atomically(tmp_path / "v1", write_files(OLD))
    (tmp_path / "latest").symlink_to("v1")
    if not exchange:
        monkeypatch.setattr(folders, "_exchange", lambda a, b: False)
    assert check(tmp_path / "latest") == tmp_path / "latest"
    folders.write_atomically(tmp_path / "latest", write_files(NEW))
    assert (tmp_path / "latest").is_symlink() and os.readlink(tmp_path / "latest") == "v1"
    assert contents(tmp_path / "latest") == contents(tmp_path / "v1") == whole(NEW)
    assert entries(tmp_path) == ["latest", "v1"]  # nothing left beside either


def test_a_link_to_a_folder_of_someone_elses_is_refused(tmp_path):
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("keep me")
    (tmp_path / "link").symlink_to("theirs")
    with pytest.raises(ConfigError, match=r"holds files that are not ours \(notes.txt\)"):
        check(tmp_path / "link")


def test_a_link_is_checked_where_it_leads(tmp_path):
    folder = read_only_place("/sys")
    if not (folder / "kernel").is_dir():
        pytest.skip("no /sys/kernel here")
    (tmp_path / "link").symlink_to(folder / "kernel")  # its own folder takes new ones; /sys does not
    with pytest.raises(ConfigError, match=f"cannot create a folder in '{folder}'"):
        check(tmp_path / "link")


@pytest.mark.parametrize(
    "points_to, reason",
    [("gone", "No such file or directory"), ("link", "Too many levels of symbolic links")],
    ids=["dangling", "loop"],
)
def test_a_link_that_leads_nowhere_is_one_line_and_nothing_is_created(tmp_path, points_to, reason):
    link = tmp_path / "link"
    link.symlink_to(points_to)
    message = f"^cannot write '{link}': '{link}' is a symbolic link to '{points_to}', which cannot be followed"
    message += f" \\({reason}\\)$"
    with pytest.raises(ConfigError, match=message):
        check(link)
    with pytest.raises(ConfigError, match=message):
        folders.write_atomically(link, write_files(NEW), error=ConfigError)
    assert entries(tmp_path) == ["link"] and link.is_symlink()


def test_a_dangling_link_above_the_target_is_one_line(tmp_path):
    (tmp_path / "link").symlink_to("gone")
    with pytest.raises(
        ConfigError, match=f"'{tmp_path / 'link'}' is a symbolic link to 'gone', which cannot be followed"
    ):
        check(tmp_path / "link" / "out")
    assert entries(tmp_path) == ["link"]


# --- 4. an interruption anywhere leaves the old folder or the new one, never none ---------------


def interrupt_call(monkeypatch, at: int, after: bool, exchange: bool) -> None:
    """Make the `at`-th rename (os.replace or the exchange) raise KeyboardInterrupt, before doing
    its work or just after it, as a signal arriving then would."""
    calls = []

    def counted(real):
        def call(*args):
            index = len(calls)
            calls.append(args)
            if index == at and not after:
                raise KeyboardInterrupt
            result = real(*args)
            if index == at:
                raise KeyboardInterrupt
            return result

        return call

    monkeypatch.setattr(os, "replace", counted(os.replace))
    monkeypatch.setattr(folders, "_exchange", counted(folders._exchange) if exchange else lambda a, b: False)


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("at", [0, 1, 2])
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "renames"])
def test_ctrl_c_at_any_rename_leaves_the_old_folder_or_the_new(existing, monkeypatch, exchange, at, after):
    if exchange and folders._renameat2() is None:
        pytest.skip("no renameat2 here")
    interrupt_call(monkeypatch, at, after, exchange)
    try:
        folders.write_atomically(existing, write_files(NEW))
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert contents(existing) in (whole(OLD), whole(NEW))
    assert entries(existing.parent) == ["out"]


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
def test_ctrl_c_while_renaming_a_new_folder_in(tmp_path, monkeypatch, after):
    interrupt_call(monkeypatch, 0, after, exchange=False)
    with pytest.raises(KeyboardInterrupt):
        folders.write_atomically(tmp_path / "out", write_files(NEW))
    monkeypatch.undo()
    assert entries(tmp_path) == (["out"] if after else [])
    if after:
        assert contents(tmp_path / "out") == whole(NEW)


def test_an_existing_folder_is_exchanged_in_one_step_on_linux(existing, monkeypatch):
    if folders._renameat2() is None:
        pytest.skip("no renameat2 here")
    monkeypatch.setattr(os, "replace", lambda a, b: raise_(AssertionError("moved aside: the folder was missing")))
    folders.write_atomically(existing, write_files(NEW))
    assert contents(existing) == whole(NEW) and entries(existing.parent) == ["out"]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "renames"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_swap_waits_until_the_new_folder_is_in(existing, monkeypatch, exchange, signum):
    """Ctrl-C (or SIGTERM, here with a handler that exits) in the middle of the swap is held back
    until the swap is done, then delivered."""
    real_replace = os.replace

    def signalled(*args):
        signal.raise_signal(signum)
        return real_replace(*args)

    monkeypatch.setattr(os, "replace", signalled)
    if not exchange:
        monkeypatch.setattr(folders, "_exchange", lambda a, b: False)
    else:
        real_exchange = folders._exchange
        monkeypatch.setattr(folders, "_exchange", lambda a, b: signal.raise_signal(signum) or real_exchange(a, b))
    previous = signal.signal(signal.SIGTERM, lambda *_: raise_(SystemExit(143)))
    try:
        with pytest.raises(KeyboardInterrupt if signum == signal.SIGINT else SystemExit):
            folders.write_atomically(existing, write_files(NEW))
    finally:
        signal.signal(signal.SIGTERM, previous)
    monkeypatch.undo()
    assert contents(existing) == whole(NEW) and entries(existing.parent) == ["out"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers are put back


CHILD = """
import os, signal, sys
from pathlib import Path
from lstmlab.model import folders

target, mode, at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
calls = []

def killed_at(real):
    def call(*args):
        if len(calls) == at:
            os.kill(os.getpid(), signal.SIGTERM)  # SIGTERM's default: the process ends here, no cleanup
        calls.append(args)
        return real(*args)
    return call

os.replace = killed_at(os.replace)
folders._exchange = killed_at(folders._exchange) if mode == "exchange" else (lambda a, b: False)

def write(folder):
    (folder / "a.txt").write_text("new")

folders.write_atomically(target, write)
print("not killed")
"""


@pytest.mark.parametrize(
    "mode, at",
    [("exchange", 0), ("renames", 0), ("renames", 1)],
    ids=["exchange", "renames-moving-aside", "renames-moving-in"],
)
def test_sigterm_during_the_swap_never_leaves_the_folder_missing(tmp_path, mode, at):
    """A real process, SIGTERM at its default (the process simply ends), sent from inside the
    swap: it is held until the new folder is in, then ends the process."""
    if mode == "exchange" and folders._renameat2() is None:
        pytest.skip("no renameat2 here")
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(target), mode, str(at)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -signal.SIGTERM, child.stderr
    assert "not killed" not in child.stdout
    assert (target / "a.txt").read_text() == "new"
    assert entries(tmp_path) == ["out"]
