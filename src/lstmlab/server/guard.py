"""What the playground's server lets in: the Host and Origin of a request, the size of a body
and of a text, the fields of a JSON body, and model names.

Pure functions over parts of a request; `server` applies them. Each refusal is a `Refused`
carrying the HTTP status and the one line the client gets as {"error": ...}, worded like the
command line's errors: the bad value, and what is allowed.
"""

import ipaddress
import json
import math
import re
from pathlib import Path
from urllib.parse import urlsplit

from lstmlab.i18n import _

MAX_BODY_BYTES = 256 * 1024  # a pasted text of MAX_SEQUENCE symbols fits, in any script
MAX_TEXT = 200  # symbols a model is asked to read (predict, inspect, generate's start and warm-up)
MAX_SEQUENCE = 20_000  # symbols of a pasted text to learn
MAX_STEPS = 500  # symbols generated in one request
MAX_TOP = 100
MAX_FIELD = MAX_TEXT  # symbols of any other text field: names, ids, choices, seeds
LONG_FIELDS = ("text", "settings.alphabet", "settings.sequence")  # texts to learn: up to MAX_SEQUENCE
MAX_DEPTH = 32  # nesting of a JSON body: the API's own bodies nest 2 deep
MAX_DIGITS = 30  # of a JSON number: more than any seed (19 digits) or count needs
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# A Host header: a name or IPv4 address, or an IPv6 address in brackets; then an optional port.
HOST_HEADER = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?")
# Lone surrogates, and control characters but a pasted text's tabs, line and page breaks.
NOT_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0e-\x1f\x7f-\x9f]")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Refused(Exception):
    """A request the playground does not serve: `status` and a one-line `message`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- where a request comes from ----------------------------------------------------------


def host_name(host_header: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1', 'Localhost' -> 'localhost'."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    return host == "localhost" or (is_ip_address(host) and ipaddress.ip_address(host).is_loopback)


def check_host(host_header: str | None, served_host: str, url: str, count: int = 1) -> None:
    """Refuse a Host that is a name other than localhost or the one served, a Host that is not
    a host and port at all ('127.0.0.1:8000@evil', a port over 65535), and `count` Hosts but one.

    DNS rebinding points a name the attacker owns at 127.0.0.1, so that their page's requests
    reach this server as same-origin; those requests carry the attacker's name as Host. An IP
    address cannot be re-pointed, so addresses and localhost pass (and `--host NAME` itself).
    """
    if count > 1:  # HTTP/1.0 lets a client repeat it; which one it meant is anyone's guess
        raise Refused(400, _("the request has {count} Host headers; send one").format(count=count))
    if not host_header:
        raise Refused(400, _("the request has no Host header; open {url}").format(url=url))
    form = HOST_HEADER.fullmatch(host_header)
    bracketed = form is not None and form[1].startswith("[")
    if (
        form is None
        or (form[2] is not None and not 1 <= int(form[2]) <= 65535)
        or (bracketed and not is_ip_address(form[1][1:-1]))
    ):
        raise Refused(
            400,
            _("Host {host_header!r} is not a host name with an optional port (such as {example}); open {url}").format(
                host_header=host_header[:100], example=urlsplit(url).netloc, url=url
            ),
        )
    name = host_name(host_header)
    if name == "localhost" or is_ip_address(name) or name == served_host.lower():
        return
    raise Refused(
        403,
        _(
            "Host {host_header!r} is not allowed: the playground answers to IP addresses and "
            "localhost (another name could be DNS rebinding); open {url}"
        ).format(host_header=host_header, url=url),
    )


def check_origin(method: str, origin: str | None, fetch_site: str | None, host_header: str, url: str) -> None:
    """Refuse a state-changing request sent by another site's page.

    Browsers send Origin (and Sec-Fetch-Site) with every POST a page makes; it must be this
    server itself. Clients that are not browsers (curl, scripts) send neither and may post.
    """
    if method in SAFE_METHODS:
        return
    if fetch_site == "cross-site":
        raise Refused(
            403, _("a cross-site request was refused: only the playground's own page ({url}) may post").format(url=url)
        )
    if origin is None:
        return
    parts = urlsplit(origin)
    if origin == "null" or parts.scheme != "http" or parts.netloc.lower() != host_header.strip().lower():
        raise Refused(
            403,
            _("Origin {origin!r} is not allowed: only the playground's own page ({url}) may post").format(
                origin=origin, url=url
            ),
        )


# --- what a request carries --------------------------------------------------------------


def parse_json(body: bytes):
    """The JSON value of a body, or Refused naming what JSON the API does not take: nesting over
    MAX_DEPTH (before the parser recurses), numbers over MAX_DIGITS digits or too large for a
    float, NaN and Infinity (Python reads them; JSON has no such numbers)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused(400, _("the request body is not valid JSON: {value}").format(value=str(e)[:200])) from None
    depth = nesting(text)
    if depth > MAX_DEPTH:
        raise Refused(
            400,
            _("the request body nests {depth} levels deep; allowed: up to {limit}").format(
                depth=depth, limit=MAX_DEPTH
            ),
        )
    try:
        return json.loads(text, parse_int=_whole, parse_float=_number, parse_constant=_constant)
    except ValueError as e:
        raise Refused(400, _("the request body is not valid JSON: {value}").format(value=str(e)[:200])) from None


def nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings not counted)."""
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", re.sub(r'"(?:[^"\\]|\\.)*"', "", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _whole(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise Refused(
            400,
            _("the request holds a number of {n_digits:,} digits; allowed: up to {limit} digits").format(
                n_digits=len(digits.lstrip("-")), limit=MAX_DIGITS
            ),
        )
    return int(digits)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Refused(
            400, _("the request holds the number {value}, which is too large to be a number").format(value=text[:40])
        )
    return value


def _constant(name: str):
    raise Refused(400, _("the request holds {value}, which is not a number JSON allows").format(value=name))


def check_strings(value, path: str = "") -> None:
    """Every text in a JSON value, field names included, is valid text of a sensible length:
    no lone surrogate (nothing can write it as UTF-8: saving a run would fail later), no
    control character but tabs and line breaks (NUL ends a C string; ESC rewrites a terminal),
    at most MAX_FIELD symbols, MAX_SEQUENCE for a text to learn."""
    if isinstance(value, str):
        name = repr(path) if path else _("a text")
        _check_symbols(name, value)
        check_text_length(path or "text", value, MAX_SEQUENCE if path in LONG_FIELDS else MAX_FIELD)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_symbols(_("a field name"), key)
            check_text_length(key[:20] + "…", key, MAX_FIELD)
            check_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            check_strings(item, path)


def _check_symbols(name: str, text: str) -> None:
    found = NOT_TEXT.search(text)
    if found is None:
        return
    symbol, position = found[0], found.start()
    if "\ud800" <= symbol <= "\udfff":
        raise Refused(
            400,
            _(
                "{name} is not valid text: position {position} holds {code}, which is not a character; give UTF-8 text"
            ).format(name=name, position=position, code=f"U+{ord(symbol):04X}"),
        )
    raise Refused(
        400,
        _(
            "{name} holds the control character {code} at position {position}; a request's text may hold "
            "tabs and line breaks, no other control characters"
        ).format(name=name, code=f"U+{ord(symbol):04X}", position=position),
    )


def check_length(content_length: str | None) -> None:
    if content_length is None:
        return
    if not content_length.isdigit():
        raise Refused(
            400, _("Content-Length {content_length!r} is not a number of bytes").format(content_length=content_length)
        )
    too_long(int(content_length))


def too_long(size: int) -> None:
    if size > MAX_BODY_BYTES:
        raise Refused(
            413,
            _("the request body is too large ({size:,} bytes or more); allowed: up to {MAX_BODY_BYTES:,}").format(
                size=size, MAX_BODY_BYTES=MAX_BODY_BYTES
            ),
        )


def check_json_type(content_type: str | None) -> None:
    """A JSON body only: a form on another site cannot post JSON without the browser asking first."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise Refused(
            415,
            _("the request body must be JSON (Content-Type: application/json), got {content_type!r}").format(
                content_type=content_type
            ),
        )


KINDS = {str: "text (a JSON string)", int: "a whole number", bool: "true or false", dict: "a JSON object"}


def fields(body: dict, required: dict[str, type], optional: dict[str, type]) -> dict:
    """The body's fields, checked: every required one present, none unknown, each of its type
    (an optional field may be null). Returns {name: value} for every field named, None if absent."""
    allowed = required | optional
    for name in body:
        if name not in allowed:
            raise Refused(
                400, _("unknown field {name!r}; allowed: {value}").format(name=name, value=", ".join(allowed))
            )
    for name in required:
        if body.get(name) is None:
            raise Refused(
                400, _("the field {name!r} is missing; give {value}").format(name=name, value=KINDS[required[name]])
            )
    values = {}
    for name, kind in allowed.items():
        value = body.get(name)
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if value is not None and wrong:
            raise Refused(400, f"{name!r} must be {KINDS[kind]}, got {value!r}"[:300])
        values[name] = value
    return values


def check_text_length(name: str, text: str, limit: int = MAX_TEXT) -> str:
    if len(text) > limit:
        raise Refused(
            413,
            _("{name!r} has {n_text:,} symbols; allowed: up to {limit:,}").format(
                name=name, n_text=len(text), limit=limit
            ),
        )
    return text


def check_range(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise Refused(
            400,
            _("{name!r} {value} is not allowed; allowed: {low}..{high}").format(
                name=name, value=value, low=low, high=high
            ),
        )
    return value


# --- model names -------------------------------------------------------------------------


def model_path(root: Path, name: str) -> Path:
    """The folder of model `name`: a plain name directly inside `root`, never a path.

    Refused: separators, '..', a leading dot, characters other than letters, digits, '.',
    '_' and '-', and a symbolic link that leads out of `root`.
    """
    if not MODEL_NAME.fullmatch(name) or ".." in name:
        raise Refused(
            400,
            _(
                "model name {value!r} is not allowed; use 1 to 64 letters, digits, '.', '_' or "
                "'-', starting with a letter or digit (a plain name inside the models folder)"
            ).format(value=name[:80]),
        )
    path = root / name
    real, home = path.resolve(), root.resolve()
    if real.parent != home:
        raise Refused(
            400, _("model {name!r} is a link that leads out of the models folder '{root}'").format(name=name, root=root)
        )
    return path
