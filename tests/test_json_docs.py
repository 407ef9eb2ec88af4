"""Every command's JSON against its description in docs/json.md: each object has exactly the
fields listed there, each value the type listed, and every documented object appears."""

import json
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs" / "json.md"
ROW = re.compile(r"^\| (\w+) \| ([^|]+?) \|")


def read_schema(text: str) -> dict[str, dict[str, str]]:
    """'## run' and '### SeedResult' sections -> {name: {field: type}} from their tables."""
    schema: dict[str, dict[str, str]] = {}
    name = None
    for line in text.splitlines():
        heading = re.match(r"^#{2,3} (\w[\w-]*)$", line)
        if heading:
            name = heading.group(1)
            schema[name] = {}
        elif name and (row := ROW.match(line)) and row.group(1) != "field":
            schema[name][row.group(1)] = row.group(2).strip()
    return schema


SCHEMA = read_schema(DOCS.read_text(encoding="utf-8"))
SIMPLE = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "any": lambda v: True,
}


class Checker:
    def __init__(self):
        self.seen: set[str] = set()

    def check(self, value, kind: str, where: str) -> None:
        if kind.startswith("list of (") and kind.endswith(")"):  # a list whose items are each A or B
            assert isinstance(value, list), f"{where}: not a list"
            for index, item in enumerate(value):
                self.check(item, kind.removeprefix("list of (").removesuffix(")"), f"{where}[{index}]")
            return
        problems = []
        for alternative in kind.split(" or "):
            try:
                self.check_one(value, alternative.strip(), where)
                return
            except AssertionError as e:
                problems.append(str(e))
        raise AssertionError(f"{where}: {json.dumps(value)[:80]} is not {kind} ({'; '.join(problems)})")

    def check_one(self, value, kind: str, where: str) -> None:
        if kind in SIMPLE:
            assert SIMPLE[kind](value), f"not {kind}"
        elif kind.startswith("list of "):
            assert isinstance(value, list), "not a list"
            for index, item in enumerate(value):
                self.check(item, kind.removeprefix("list of "), f"{where}[{index}]")
        else:
            assert kind in SCHEMA, f"docs/json.md names {kind!r} but does not describe it"
            assert isinstance(value, dict), f"not a {kind} object"
            fields = SCHEMA[kind]
            assert set(value) == set(fields), f"{kind} fields differ: {sorted(set(value) ^ set(fields))}"
            self.seen.add(kind)
            for name, field_kind in fields.items():
                self.check(value[name], field_kind, f"{where}.{name}")


@pytest.fixture(scope="module")
def outputs(command_outputs) -> dict[str, list[dict]]:
    return command_outputs[0]


def test_every_command_prints_what_the_docs_describe(outputs):
    checker = Checker()
    assert sorted(outputs) == sorted(name for name in SCHEMA if name.islower())
    for kind, documents in outputs.items():
        for document in documents:
            checker.check(document, kind, kind)
    described = {name for name in SCHEMA if not name.islower()}
    assert described - checker.seen == set(), "described in docs/json.md but never printed"


def test_the_same_thing_has_the_same_name_everywhere(outputs):
    """What a model read is `input` in every document, never `text` or `context`."""
    text = json.dumps(outputs)
    for stale in ('"context"', '"text"', '"pattern"'):
        assert stale not in text


def test_a_wrong_field_is_caught():
    checker = Checker()
    with pytest.raises(AssertionError, match="fields differ"):
        checker.check({"kind": "prediction", "input": "ABC", "predicted": "D", "probability": 1.0}, "prediction", "p")
    with pytest.raises(AssertionError, match="is not number"):
        checker.check({"symbol": "D", "probability": True}, "Ranked", "r")
