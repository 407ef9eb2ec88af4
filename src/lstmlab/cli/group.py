"""The app every command is added to, and what every command shares: a user's mistake as one
line and status 2, Ctrl-C and the terminating signals as `Interrupted.`, usable streams."""

import os
import signal
import sys
from typing import Annotated

import typer

from lstmlab import __version__
from lstmlab.cli.console import ReaderGone, err, out
from lstmlab.cli.text import in_our_words, localize
from lstmlab.errors import LstmlabError
from lstmlab.i18n import _


class _Interrupted(Exception):
    """Ctrl-C, carried past Typer (which would turn it into a silent exit status)."""


class OneLineErrors(typer.core.TyperGroup):
    """User mistakes, ours or click's, become one line on stderr and exit status 2; a reader
    that goes away (`| head`) ends the command quietly; Ctrl-C is one line and status 130."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise ReaderGone() from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        previous, previous_hook = None, sys.unraisablehook
        try:  # from the moment the handlers are set, an interrupt is this try's
            # SIGTERM and SIGHUP as Ctrl-C: the cleanups that remove half-written folders run for all.
            previous = _on_signals(_terminated)
            sys.unraisablehook = _interrupt_again
            _usable_streams()
            localize(self)  # the help, in the language of this call
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            if code == 130:  # Typer's own word for an interrupt while it reads the options
                raise _Interrupted()
        except typer.TyperException as e:  # click's usage errors: unknown option, not a number, ...
            line = in_our_words(" ".join(e.format_message().split()))
            err.print(_("Error: {message}").format(message=line), markup=False)
            sys.exit(2 if e.exit_code in (1, 2) else e.exit_code)
        except LstmlabError as e:
            err.print(_("Error: {message}").format(message=e), markup=False)
            sys.exit(2)
        except (_Interrupted, KeyboardInterrupt, typer.Abort):
            _say_interrupted()
        except ReaderGone:
            _quiet_stdout()
            sys.exit(0)
        except SystemExit as e:  # Rich's own broken-pipe exit (Typer's help console): status 1
            if isinstance(e.__context__, BrokenPipeError):
                _quiet_stdout()
                sys.exit(0)
            raise
        except OSError as e:  # a fault at a path the user named: a full disk, a vanished folder
            reason = e.strerror or e
            line = _("Error: cannot use '{path}': {reason}") if e.filename else _("Error: cannot use: {reason}")
            err.print(line.format(path=e.filename, reason=reason), markup=False)
            sys.exit(2)
        finally:
            _on_signals(previous)
            sys.unraisablehook = previous_hook
        _finish(code if isinstance(code, int) else 0)


# Ctrl-C and the terminating signals, one way; the exit status is 128 + the signal's number.
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


_signal_received: list[int] = []


def _terminated(signum, frame):
    _signal_received.append(signum)
    _raise_keyboard_interrupt(signum, frame)


def _interrupt_again(unraisable) -> None:
    """Ctrl-C or a signal that came while Python ran a callback it cannot raise from (JAX's
    garbage-collection callback, right after each compiled step: nearly always) would be
    printed as "Exception ignored" and the work would go on: raise it again in the main
    thread, at the next line of ordinary code."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _interrupt_soon()  # raising here would be ignored again
    else:
        sys.__unraisablehook__(unraisable)


def _interrupt_soon() -> None:
    try:
        signal.signal(signal.SIGALRM, _raise_keyboard_interrupt)
        signal.setitimer(signal.ITIMER_REAL, 0.02)
    except ValueError:  # not the main thread
        pass


def _raise_keyboard_interrupt(signum, frame):
    """KeyboardInterrupt now, or a moment later when a module is being imported: an exception
    in the middle of a C extension's set-up (jaxlib's) can crash the process."""
    if any(getattr(getattr(m, "__spec__", None), "_initializing", False) for m in list(sys.modules.values())):
        _interrupt_soon()
        return
    raise KeyboardInterrupt


def _say_interrupted() -> None:
    _disarm_timer()  # a KeyboardInterrupt still due must not strike while the process exits
    err.print(_("Interrupted."), markup=False)
    # At once: an interrupt that cut an import short (numpy's, JAX's) can leave Python set to
    # end itself by SIGINT at its teardown, whatever the status asked for.
    _finish(128 + _signal_received[-1] if _signal_received else 130, teardown=False)


def _disarm_timer() -> None:
    try:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
    except ValueError:  # not the main thread: no timer was set
        pass


def _on_signals(handler):
    """Set the handler of SIGNALS; returns the previous ones (None off the main thread, where
    they cannot be set). `handler` is one function, or what an earlier call returned."""
    if handler is None:
        return None
    _signal_received.clear()
    try:
        if isinstance(handler, dict):
            return {signum: signal.signal(signum, h) for signum, h in handler.items() if h is not None}
        return {signum: signal.signal(signum, handler) for signum in SIGNALS}
    except ValueError:
        return None


def _usable_streams() -> None:
    """A closed stdout or stderr (`>&-`) becomes /dev/null, so the work still finishes and is
    saved; a terminal or pipe that cannot show a character (PYTHONIOENCODING=ascii, LANG=C)
    gets it as a backslash escape instead of a crash."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - for the whole process
        elif hasattr(stream, "reconfigure") and getattr(stream, "errors", None) == "strict":
            stream.reconfigure(errors="backslashreplace")


def _finish(code: int, teardown: bool | None = None) -> None:
    """Exit with `code`. From a terminal or a pipe, skip the interpreter's teardown (always
    when `teardown` is False): with JAX loaded it takes about 0.2 s and has nothing left to do
    (every file lstmlab writes is closed and flushed by then). Under a test runner, whose
    stdout is not the process's, exit normally."""
    skip = "jax" in sys.modules if teardown is None else not teardown
    if skip and sys.stdout is sys.__stdout__ and sys.stderr is sys.__stderr__:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit flush cannot fail on the closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test runner's)
        pass


app = typer.Typer(
    cls=OneLineErrors,
    invoke_without_command=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Learn and study how an LSTM learns sequences: the Keras alphabet tutorial, compiled, "
    "over many seeds, with its gates in view.",
)


def _version(value: bool) -> None:
    if value:
        out.print(f"lstmlab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Learn and study how an LSTM learns sequences.

    Examples:

        lstmlab list

        lstmlab run timesteps
    """
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help(), markup=False)
