"""The language lstmlab speaks: gettext catalogs in `lstmlab/locale`, chosen at every call.

`_()` translates a message into the current language and `ngettext()` picks a count's plural
form (Russian has three). The source holds the English messages, which are the msgids: in
English nothing is looked up and the output is the message as written. Messages keep named
placeholders and are formatted after translating: `_("unknown experiment {name!r}").format(name=…)`.

The language is, first, the one `speaking()` set for this context (the server answers each
request in its page's language); else `LSTMLAB_LANG`; else the usual `LANGUAGE`, `LC_ALL`,
`LC_MESSAGES`, `LANG`. The first of those that is set decides: 'ru_RU.UTF-8' -> 'ru'; 'C',
'POSIX' or a language without a catalog -> English. Nothing is cached but the catalogs, so a
test (or the server) can switch languages between calls.
"""

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "lstmlab"
ENGLISH = "en"
LANGUAGES = {"en": "English", "ru": "Русский"}  # each in its own words, for a language switch
ENVIRONMENT = ("LSTMLAB_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_speaking: ContextVar[str | None] = ContextVar("lstmlab_language", default=None)
_filled_later: dict[str, tuple[str, dict]] = {}


def supported(tag: str | None) -> str | None:
    """The language of a locale name or language tag, if lstmlab speaks it: 'ru_RU.UTF-8',
    'ru-RU', 'RU' -> 'ru'; 'C', 'POSIX', 'de_DE' -> None."""
    code = (tag or "").strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def language_from(environ: Mapping[str, str]) -> str:
    """The language the environment asks for (see the module's docstring)."""
    for name in ENVIRONMENT:
        value = environ.get(name, "")
        if value:  # the first variable set decides; LANGUAGE may list several, in order
            return next((code for tag in value.split(":") if (code := supported(tag))), ENGLISH)
    return ENGLISH


def language() -> str:
    """The language of this call: the context's (`speaking`), else the environment's."""
    return _speaking.get() or language_from(os.environ)


@contextmanager
def speaking(code: str | None) -> Iterator[str]:
    """Speak `code` (a language lstmlab has, else English) in this context until the block ends."""
    token = _speaking.set(supported(code) or ENGLISH)
    try:
        yield _speaking.get()
    finally:
        _speaking.reset(token)


@cache
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of `code`; English (and a missing catalog) is the messages as written."""
    if code == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE, languages=[code], fallback=True)


def _(message: str) -> str:
    """`message` in the current language."""
    return catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count `n`, in the current language (format `n` in after)."""
    return catalog(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now (it is translated where shown)."""
    return message


def later(template: str, **values) -> str:
    """`template` filled in now, in English, and remembered, so that `translate` can give the
    same text in the language of a later call (help written when the command line is defined)."""
    text = template.format(**values)
    _filled_later[text] = (template, values)
    return text


def translate(text: str) -> str:
    """A marked message (`N_`, `later`, a command's help) in the current language."""
    template, values = _filled_later.get(text, (text, None))
    if values is None:
        return _(template)
    return _(template).format(**{name: translate(v) if isinstance(v, str) else v for name, v in values.items()})


def from_accept_language(header: str | None) -> str:
    """The first language of an Accept-Language header that lstmlab speaks ('ru-RU,ru;q=0.9' -> 'ru'), else English."""
    tags = (part.split(";")[0] for part in (header or "").split(","))
    return next((code for tag in tags if (code := supported(tag))), ENGLISH)
