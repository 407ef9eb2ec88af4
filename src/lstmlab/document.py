"""The base of every result lstmlab hands out: a frozen dataclass that is also one JSON value.

Each command's result is one `Document`; the command line renders it as text or prints
`to_json()`, and the web playground serves the same JSON. Field names are one vocabulary
across documents (docs/json.md lists them): "input" is always what a model read,
"predicted" its answer, "probability" that answer's probability, "target" the right one.
"""

import dataclasses
from typing import ClassVar


class Document:
    """Mixin for dataclasses: `kind` names the document; `to_json()` gives plain JSON values."""

    kind: ClassVar[str] = ""

    def to_json(self) -> dict:
        value = plain(self)
        return {"kind": self.kind, **value} if self.kind else value


def plain(value):
    """Dataclasses as dicts (fields in order), tuples and arrays as lists, numpy scalars as
    Python numbers: what `json.dumps` takes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if type(value).__module__ == "numpy":  # an array or a numpy scalar; numpy itself need not load here
        return plain(value.tolist())
    return value


def rounded(value: float, digits: int = 6) -> float:
    """A float as the documents show it: `digits` decimals, enough for a probability."""
    return round(float(value), digits)


def significant(value: float, digits: int = 4) -> float:
    """A float to `digits` significant digits: for values that span many powers of ten."""
    return float(f"{float(value):.{digits}g}")
