"""The command line: the commands (Typer), their help and error lines."""
