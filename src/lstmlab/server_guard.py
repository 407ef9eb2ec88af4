"""What the playground's server lets in: the Host and Origin of a request, the size of a body
and of a text, the fields of a JSON body, and model names.

Pure functions over parts of a request; `server` applies them. Each refusal is a `Refused`
carrying the HTTP status and the one line the client gets as {"error": ...}, worded like the
command line's errors: the bad value, and what is allowed.
"""

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from lstmlab.i18n import _

MAX_BODY_BYTES = 256 * 1024  # a pasted text of MAX_SEQUENCE symbols fits, in any script
MAX_TEXT = 200  # symbols a model is asked to read (predict, inspect, generate's start and warm-up)
MAX_SEQUENCE = 20_000  # symbols of a pasted text to learn
MAX_STEPS = 500  # symbols generated in one request
MAX_TOP = 100
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
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


def check_host(host_header: str | None, served_host: str, url: str) -> None:
    """Refuse a Host that is a name other than localhost or the one served.

    DNS rebinding points a name the attacker owns at 127.0.0.1, so that their page's requests
    reach this server as same-origin; those requests carry the attacker's name as Host. An IP
    address cannot be re-pointed, so addresses and localhost pass (and `--host NAME` itself).
    """
    if not host_header:
        raise Refused(400, _("the request has no Host header; open {url}").format(url=url))
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
