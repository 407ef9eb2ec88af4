"""The exceptions lstmlab raises for user mistakes.

Every message names the bad value and what is allowed; the command line prints it as one
line and exits with status 2. Anything else that escapes is a bug.
"""


class LstmlabError(Exception):
    """Base class: a mistake in what the user asked for, not a bug."""


class ConfigError(LstmlabError, ValueError):
    """A setting has a value that is not allowed."""


class DataError(LstmlabError, ValueError):
    """Text, an alphabet or a sequence file cannot be used."""


class ModelFileError(LstmlabError):
    """A saved model cannot be read or does not match its config."""
