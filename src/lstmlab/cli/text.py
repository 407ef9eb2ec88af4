"""The command line's help and Typer's (click's) own lines in the current language.

Typer builds the click commands afresh at every start, from help written when `cli` was
defined, in English; `localize` puts each command's help and each option's into the
language of this call just before click shows them. Click's own usage errors are English
f-strings in some Typer releases and gettext's default domain in others, so neither is
translated where they are made: `in_our_words` recognises the English line by its template
and gives it from lstmlab's catalog instead. In English everything is left exactly as it is.
"""

import re
import sys
from functools import cache

from lstmlab.i18n import ENGLISH, N_, _, language, translate

# Click's and Typer's lines, most specific first; the first whose pattern matches the whole
# line is used. A {field} matches any text and is put back as it came (quotes and all).
USAGE_ERRORS = (
    N_("No such option: {name} (Possible options: {options})"),
    N_("No such option: {name} Did you mean {option}?"),
    N_("No such option: {name} (Did you mean one of: {options}?)"),
    N_("No such option: {name}"),
    N_("No such option {name}."),
    N_("No such command {name}."),
    N_("Missing command."),
    N_("Missing argument {name}."),
    N_("Missing option {name}."),
    N_("Missing parameter: {name}"),
    N_("Option {name} requires an argument."),
    N_("Option {name} does not take a value."),
    N_("Got unexpected extra argument(s) ({arguments})"),
    N_("Got unexpected extra argument ({arguments})"),
    N_("Got unexpected extra arguments ({arguments})"),
    N_("Invalid value for {name}: {reason}"),
    N_("Invalid value: {reason}"),
)
# What Typer (through pydantic) or click says is wrong with a value, inside "Invalid value for …".
REASONS = (
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("{value} is not a valid integer."),
    N_("{value} is not a valid float."),
    N_("{value} is not a valid boolean."),
)
# Typer's help panels and marks (typer.rich_utils keeps them as module constants).
RICH_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
}
_TYPERS_OWN: dict[str, str] = {}  # those constants as Typer set them, before any translation
HELP_OPTION = N_("Show this message and exit.")
USAGE = N_("Usage:")


@cache
def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


def _matched(line: str, templates) -> str | None:
    for template in templates:
        if match := _pattern(template).fullmatch(line):
            values = match.groupdict()
            if "reason" in values:
                values["reason"] = _matched(values["reason"], REASONS) or values["reason"]
            return _(template).format(**values)
    return None


def in_our_words(line: str) -> str:
    """A usage error's line from click or Typer, in the current language (as it came if unknown)."""
    return line if language() == ENGLISH else _matched(line, USAGE_ERRORS) or line


def localize(command) -> None:
    """Put `command`'s help, its options' and its subcommands' into the current language."""
    english = language() == ENGLISH
    if not english:
        _localize(command)
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is None and english:  # not loaded yet: it will load in English
        return
    if rich_utils is None:
        import typer.rich_utils as rich_utils
    for name, words in RICH_WORDS.items():
        if hasattr(rich_utils, name):
            typers = _TYPERS_OWN.setdefault(name, getattr(rich_utils, name))
            setattr(rich_utils, name, typers if english else _(words))  # English: Typer's own, as it was


def _localize(command) -> None:
    if command.help:
        command.help = translate(command.help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = translate(param.help)
    help_option, usage = command.get_help_option, command.get_usage

    def get_help_option(ctx):
        option = help_option(ctx)
        if option is not None and option.help:
            option.help = _(option.help)
        return option

    def get_usage(ctx):
        text = usage(ctx)
        return _(USAGE) + text.removeprefix(USAGE) if text.startswith(USAGE) else text

    command.get_help_option, command.get_usage = get_help_option, get_usage
    for sub in getattr(command, "commands", {}).values():
        _localize(sub)
