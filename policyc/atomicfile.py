"""Output files, shared by every command that writes one (``policyc compile
-o``, ``policyc coverage -o``): what may be replaced, and an atomic write
that leaves nothing behind when it is interrupted. Pure standard library.

What an output path may be (rustc and ruff replace regular files; so does
policyc, and nothing else):

* missing: created, with mode ``0o666 & ~umask``; its directory must exist;
* a regular file: replaced atomically, keeping its permission bits. Refused
  when read-only: no write permission for this process, or no write bit at
  all (so a ``chmod a-w`` file is refused even for root, who may write
  anything): the replacement is a rename, which only needs the directory,
  and would otherwise ignore the file's own protection silently;
* a symbolic link: followed to its final target, which must itself be a
  regular file; the target is replaced and the link stays. A dangling link,
  or one leading to anything else, is refused. Messages name the real path;
* anything else (a directory, a device such as ``/dev/null``, a FIFO, a
  socket) is refused: a rename would swap the node for a plain file;
* an input of the same run (the same file by device and inode: through a
  symlink, a hard link or a directory argument's expansion) is refused.

``-`` (standard output) is the caller's business: it never reaches here.

Every refusal is an :class:`OutputError`, an ``OSError`` whose ``filename``
is the real path, so the CLI reports it like any I/O error (exit 2).

The write goes to ``.policyc-<name>.<random>.tmp`` beside the real target,
is flushed and fsynced, then renamed over it. On any error, and on SIGTERM,
SIGINT or SIGHUP during the write (handlers are installed only while writing
and restored after, then the signal is raised again so the process ends as
it would have), the temporary file is removed. Only SIGKILL (or a crash of
the machine) can leave one: a ``.policyc-*.tmp`` file beside an output is
such a leftover and can be deleted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator

#: The signals that remove the temporary file before ending the process.
CLEANUP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
                        if hasattr(signal, name))
TEMP_PREFIX, TEMP_SUFFIX = ".policyc-", ".tmp"
_NAME_ROOM = 64  # of the target's name kept in the temporary name (NAME_MAX is 255 bytes)

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


class OutputError(OSError):
    """An output path policyc refuses to write. ``filename`` is the real
    path; ``strerror`` says why."""


def output_target(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()) -> str:
    """The real path a write of ``path`` replaces or creates (symlinks
    followed), after checking it against the rules of the module docstring.

    ``inputs`` are the files the run reads; an output that is one of them
    is refused. Raises :class:`OutputError`; reads nothing but metadata.
    """
    given = os.fspath(path)
    target = os.path.realpath(given)
    link, st = _stat(given, os.lstat, target), _stat(target, os.stat, target)
    linked = link is not None and stat.S_ISLNK(link.st_mode)
    via = f" (the symbolic link {given} leads here)" if linked else ""
    if st is None:
        if linked:
            raise OutputError(errno.ENOENT, f"the output {given} is a symbolic link to a missing file; "
                                            "refusing to create its target", target)
        directory = os.path.dirname(target)
        if not os.path.isdir(directory):
            raise OutputError(errno.ENOENT, f"the output's directory {directory} does not exist", target)
        return target
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise OutputError(errno.EINVAL, f"the output is {kind}{via}; policyc replaces only regular files "
                                        "(use `-o -` for standard output)", target)
    same = next((source for source in inputs if _same_file(source, st)), None)
    if same is not None:
        raise OutputError(errno.EEXIST, f"the output is the input {os.fspath(same)}{via}; "
                                        "refusing to overwrite it", target)
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise OutputError(errno.EACCES, f"the output is read-only (mode {stat.S_IMODE(st.st_mode):04o}){via}; "
                                        "refusing to replace it", target)
    return target


def _stat(path: str, how, target: str) -> os.stat_result | None:
    """``how(path)``; ``None`` when it does not exist; other errors as
    :class:`OutputError` naming ``target``."""
    try:
        return how(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(exc.errno, f"cannot inspect the output: {exc.strerror}", target) from None


def _same_file(path: str | os.PathLike[str], st: os.stat_result) -> bool:
    try:
        return os.path.samestat(os.stat(path), st)
    except OSError:
        return False


def write_atomic(path: str | os.PathLike[str], data: bytes, *,
                 inputs: Iterable[str | os.PathLike[str]] = (), durable: bool = True) -> str:
    """Write ``data`` to ``path`` atomically and return the real path
    written (see the module docstring for what may be written, the
    permission bits and the temporary file). ``durable=False`` skips the
    fsyncs (for data that is only a cache, :mod:`policyc.diskcache`): the
    rename stays atomic, only a machine crash may lose or tear the file.

    Raises :class:`OutputError` for a refused path, ``OSError`` when the
    write fails (the temporary file is removed first). A cleanup signal
    during the write ends the process as that signal would have, or raises
    ``KeyboardInterrupt`` when its previous handler returns.
    """
    target = output_target(path, inputs=inputs)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    try:
        with _cleanup_on_signals():
            _replace(target, data, mode, durable)
    except _Interrupted as stop:
        signal.raise_signal(stop.signum)  # the previous disposition is back in place
        raise KeyboardInterrupt from None
    return target


def _replace(target: str, data: bytes, mode: int, durable: bool = True) -> None:
    directory, name = os.path.split(target)
    tmp = None
    try:
        with _blocked():  # no signal between creating the file and knowing its name
            try:
                fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{name[:_NAME_ROOM]}.", suffix=TEMP_SUFFIX,
                                           dir=directory)
            except OSError as exc:
                raise OutputError(exc.errno, f"cannot create a temporary file in {directory}: "
                                             f"{exc.strerror}", target) from None
            handle = os.fdopen(fd, "wb")
        with handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            with _blocked(), contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    if durable:
        _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename durable where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


class _Interrupted(BaseException):
    """A cleanup signal arrived while writing."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """While inside: the cleanup signals raise :class:`_Interrupted`. A
    signal that is ignored (``nohup``) or handled outside Python stays so.
    Only the main thread can set handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum, frame):
        raise _Interrupted(signum)

    previous = {}
    try:
        for signum in CLEANUP_SIGNALS:
            handler = signal.getsignal(signum)
            if handler is None or handler == signal.SIG_IGN:
                continue
            previous[signum] = signal.signal(signum, interrupted)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _blocked() -> Iterator[None]:
    """Hold the cleanup signals back (they are delivered on leaving)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, CLEANUP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
