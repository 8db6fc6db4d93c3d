"""Which failures are the user's to fix, and how every entry point reports them: one line on stderr, exit status 2.

A user error is bad input: a config field or value, an item file, a corpus record, a path that does not exist, a
checkpoint of an architecture we do not support. Our checks raise ValueError for those (DataError, BadRecordError,
ItemFileError, ReportInputError and the other input errors all derive from it) or an OSError that names the path,
and their messages already say what, where and what was expected, so a traceback only buries the line that
matters. Everything else (KeyError, TypeError, AttributeError, RuntimeError, ...) is a bug and keeps its trace.
`--traceback` (or absl's `--verbosity=1`) shows the trace of a user error too.

    def main(argv=None) -> int:                   # argparse tools
        return run_main(_main, argv, prog="tools/convert_hf.py")

    if __name__ == "__main__":                    # absl tools, instead of app.run(main)
        run_absl_main(main, prog="main.py")
"""
from __future__ import annotations

import re
import sys
from typing import Callable, Sequence, TypeVar

USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError,
)
USER_ERROR_EXIT = 2
TRACEBACK_FLAG = "--traceback"

T = TypeVar("T")
# absl's spellings of its verbosity flag: --verbosity=1, --verbosity 1, -v=1, -v 1, --v=1.
_VERBOSITY = re.compile(r"^--?(?:v|verbosity)(?:=(-?\d+))?$")


def wants_traceback(argv: Sequence[str]) -> bool:
    """True when the command line asks for full traces: --traceback, or a verbosity of 1 or more."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == TRACEBACK_FLAG:
            return True
        match = _VERBOSITY.match(arg)
        if match:
            value = match.group(1) if match.group(1) is not None else (args[i + 1] if i + 1 < len(args) else "")
            if value.lstrip("-").isdigit() and int(value) >= 1:
                return True
    return False


def one_line(error: BaseException) -> str:
    """The error's message on one line (multi-line messages joined with '; ')."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return "; ".join(lines) or type(error).__name__


def report(prog: str, error: BaseException | str) -> None:
    text = error if isinstance(error, str) else one_line(error)
    print(f"{prog}: error: {text} ({TRACEBACK_FLAG} shows the full trace)", file=sys.stderr, flush=True)


def exit_on_user_error(fn: Callable[[], T], *, prog: str, argv: Sequence[str] | None = None) -> T:
    """fn(); a user error becomes one line on stderr and SystemExit(2), unless argv asks for the trace."""
    try:
        return fn()
    except USER_ERRORS as error:
        if wants_traceback(sys.argv if argv is None else argv):
            raise
        report(prog, error)
        raise SystemExit(USER_ERROR_EXIT) from None


def run_main(main: Callable[[list[str]], int | None], argv: Sequence[str] | None = None, *, prog: str) -> int:
    """An argparse entry point's main(argv) with --traceback taken out of argv and user errors turned into exit 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    show = wants_traceback(args)
    args = [a for a in args if a != TRACEBACK_FLAG]
    try:
        return int(main(args) or 0)
    except USER_ERRORS as error:
        if show:
            raise
        report(prog, error)
        return USER_ERROR_EXIT


def _missing_field(argv: Sequence[str], error: BaseException) -> str | None:
    """What a locked ml_collections config's lookup error says about a --config.* override, or None when no
    override names the missing field (then it is not the command line's fault)."""
    text = str(error)  # a quoted, re-quoted key, then maybe: Did you mean "steps" instead of "stepz"?
    key = next(iter(re.findall(r"[A-Za-z_]\w*", text)), None)
    for arg in argv:
        if key and arg.startswith("--config.") and key in arg.partition("=")[0].split("."):
            guess = re.search(r'Did you mean "([^"]+)"', text)
            hint = f"; did you mean {guess.group(1)!r}?" if guess else ""
            return f"{arg}: the config has no field {key!r}{hint} (configs are locked: see configs/common.py)"
    return None


def _raise_deferred_config_error(flag_values) -> None:
    """ml_collections keeps a config file that failed to load as a placeholder that raises on first use, deep in
    the run; raise its error here instead, naming the flag."""
    for name in list(flag_values):
        value = flag_values[name].value
        if hasattr(type(value), "_ReportError"):  # config_flags' _ErrorConfig (looked up on the type: the
            error = vars(value).get("_error")      # instance raises on any attribute it does not have)
            last = one_line(error).rpartition("; ")[2] if error is not None else "it failed to load"
            raise ValueError(f"--{name}: cannot load the config file: {last}")


def absl_flags_parser(prog: str) -> Callable[[list[str]], list[str]]:
    """A flags parser for `absl.app.run` that reports a bad flag, a config file that fails to load or a misspelled
    `--config.FIELD` override in one line with exit status 2, instead of absl's traceback or FATAL banner."""

    def parse(argv: list[str]) -> list[str]:
        from absl import flags

        try:
            rest = flags.FLAGS(argv)
            _raise_deferred_config_error(flags.FLAGS)
            return rest
        except (flags.Error, *USER_ERRORS) as error:
            if wants_traceback(argv):
                raise
            report(prog, error)
        except (AttributeError, KeyError) as error:  # ml_collections: a locked config has no such field
            message = _missing_field(argv, error)
            if message is None or wants_traceback(argv):
                raise
            report(prog, message)
        raise SystemExit(USER_ERROR_EXIT)

    return parse


def run_absl_main(main: Callable[[list[str]], object], *, prog: str) -> None:
    """`absl.app.run(main)` with user errors, in the flags or raised by main, reported in one line (exit 2), and a
    `--traceback` flag."""
    from absl import app, flags

    if "traceback" not in flags.FLAGS:
        flags.DEFINE_bool("traceback", False, "Show the full trace of an error caused by the input (a bad config "
                          "value, a missing file); --verbosity=1 does too.")
    app.run(lambda argv: exit_on_user_error(lambda: main(argv), prog=prog), flags_parser=absl_flags_parser(prog))
