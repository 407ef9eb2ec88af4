"""The command line as the tests call it: in this process, through Typer's runner."""

from typer.testing import CliRunner

from lstmlab.cli.app import app


def invoke(*args, env=None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def one_error_line(result, status: int = 2) -> str:
    """The one line a refused command printed (exit status `status`, no traceback)."""
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]
