"""How every ``framing`` command ends when something goes wrong: one line and a non-zero code.

Both command groups (``framing`` and ``framing annotate``) use :class:`ErrorGroup`, so each
command prints

- ``error: <message>`` and exits 2 for a user error (:class:`~framing.infra.errors.FramingError`, or a
  file that cannot be opened or written: missing, a folder, no permission, a full disk);
- ``error: unexpected <Type>: <message> ...`` and exits 1 for anything else (a bug: the line says
  how to see the traceback);
- ``interrupted`` and exits 130 on Ctrl-C.

``framing --debug <command>`` or the environment variable ``FRAMING_DEBUG=1`` lets every error
through with its Python traceback, for a bug report.
"""

from __future__ import annotations

import os
import sys

import click

from framing.infra.errors import FramingError

#: Exit status for a user error (bad input, bad option): the message says what to change.
EXIT_USAGE = 2
#: Exit status for an unexpected error (a bug in framing, or in a library it calls).
EXIT_UNEXPECTED = 1
#: Exit status after Ctrl-C, as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130
#: Environment variable that shows tracebacks, like ``--debug``.
DEBUG_ENV = "FRAMING_DEBUG"

_LONGEST_MESSAGE = 500


def debug_enabled(ctx: click.Context | None = None) -> bool:
    """True when ``--debug`` was given to the root command or ``FRAMING_DEBUG`` is set (not 0/empty)."""
    if os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no"):
        return True
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and root.params.get("debug"))


def one_line(message: object) -> str:
    """``message`` on one line, cut to a readable length.

    >>> one_line("a\\n  b")
    'a b'
    """
    text = " ".join(str(message).split())
    return text if len(text) <= _LONGEST_MESSAGE else text[: _LONGEST_MESSAGE - 3] + "..."


def os_error_message(err: OSError) -> str:
    """``reason: file`` for an OSError (missing file, permission, full disk...).

    >>> import errno
    >>> os_error_message(OSError(errno.ENOSPC, "No space left on device", "out.parquet"))
    'No space left on device: out.parquet'
    """
    where = f": {err.filename}" if err.filename else ""
    return f"{err.strerror or err}{where}"


class ErrorGroup(click.Group):
    """A click group whose commands never end in a traceback (unless debugging is on)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise  # click's own usage errors and exits already print one clear line
        except KeyboardInterrupt:
            if debug_enabled(ctx):
                raise
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except FramingError as err:
            if debug_enabled(ctx):
                raise
            click.echo(f"error: {err}", err=True)  # written to be read: kept as it is
            sys.exit(EXIT_USAGE)
        except OSError as err:
            if debug_enabled(ctx):
                raise
            click.echo(f"error: {one_line(os_error_message(err))}", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as err:  # noqa: BLE001 - the last line of defence: one line, not a traceback
            if debug_enabled(ctx):
                raise
            click.echo(
                f"error: unexpected {type(err).__name__}: {one_line(err)} (this is a bug in framing or "
                f"a library it uses; rerun with --debug or {DEBUG_ENV}=1 to see the traceback, and "
                "please report it)",
                err=True,
            )
            sys.exit(EXIT_UNEXPECTED)
