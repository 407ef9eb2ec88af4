"""Reading a file a user names, bounded: a regular file of at most so many bytes, or a reason.

`read_bounded(path, limit)` never blocks on a named pipe, never reads a device (a link to
/dev/zero included) and never reads more than `limit` + 1 bytes; each caller words the line
its user sees, naming the file and the limit.
"""

import os
import stat
from pathlib import Path

from lstmlab.i18n import N_, _

KINDS = {  # what a path is, when it is not a regular file
    stat.S_IFDIR: N_("a folder"),
    stat.S_IFIFO: N_("a named pipe"),
    stat.S_IFCHR: N_("a device"),
    stat.S_IFBLK: N_("a device"),
    stat.S_IFSOCK: N_("a socket"),
}


class NotAFile(Exception):
    """The path leads to a folder, pipe, device or socket; `what` says which, in words."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class FileTooLarge(Exception):
    """The file holds more than `limit` bytes."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


def read_bounded(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file at `path` (links followed). OSError if it cannot be
    opened or read, NotAFile if it is something else, FileTooLarge past `limit` bytes."""
    # O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer forever.
    fd = os.open(Path(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile(_(KINDS.get(stat.S_IFMT(mode), N_("not a regular file"))))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileTooLarge(limit)
        return b"".join(chunks)
    finally:
        os.close(fd)
