"""lstmlab's message catalogs: find every message the source marks, and keep the catalogs in step.

    python ci/catalog.py           # rewrite locale/lstmlab.pot; add new messages to each .po
                                   # (empty, to translate), drop gone ones; compile each .mo
    python ci/catalog.py --check   # exit 1 if a message lacks a translation or a .mo is stale

A message is marked in the source by `_("…")`, `N_("…")`, `later("…", …)` or
`ngettext("…", "…", n)` (lstmlab.i18n), by the `help="…"` of a command-line option, argument
or the app, and by the docstring of a function decorated with `@app.command`/`@app.callback`
(Typer shows it as the command's help). tests/test_i18n.py runs the same extraction, so a
message added without a Russian translation fails the tests.
"""

import ast
import gettext
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "lstmlab"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "lstmlab.pot"
MARKERS = {"_", "N_", "later"}


def _text(node) -> str | None:
    """A string literal (implicitly concatenated ones are one Constant), else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _is_command(decorator) -> bool:
    return isinstance(decorator, ast.Call) and _name(decorator.func) in {"command", "callback"}


def messages_in(source: str) -> list[tuple[str | tuple[str, str], int]]:
    """Every message marked in one module's source: (msgid or (singular, plural), line)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in MARKERS and node.args and _text(node.args[0]) is not None:
                found.append((_text(node.args[0]), node.lineno))
            elif name == "ngettext" and len(node.args) >= 2 and None not in map(_text, node.args[:2]):
                found.append(((_text(node.args[0]), _text(node.args[1])), node.lineno))
            found += [(_text(k.value), k.value.lineno) for k in node.keywords if k.arg == "help" and _text(k.value)]
        elif isinstance(node, ast.FunctionDef) and any(map(_is_command, node.decorator_list)):
            if (doc := ast.get_docstring(node)) is not None:
                found.append((doc, node.lineno))
    return found


def extract(package: Path = PACKAGE) -> Catalog:
    """The template: every marked message of the package, with where it is used."""
    template = Catalog(project="lstmlab", domain="lstmlab", fuzzy=False)
    for path in sorted(package.rglob("*.py")):
        for message, line in messages_in(path.read_text(encoding="utf-8")):
            template.add(message, locations=[(path.relative_to(package.parent).as_posix(), line)])
    return template


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "lstmlab.po"


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE.iterdir() if p.is_dir() and (p / "LC_MESSAGES" / "lstmlab.po").exists())


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def in_step(mo: bytes, catalog: Catalog) -> bool:
    """Whether compiled catalog `mo` holds exactly `catalog`'s translations and plural rule
    (the header's other lines, such as which Babel wrote it, may differ)."""
    shipped, fresh = (gettext.GNUTranslations(io.BytesIO(data)) for data in (mo, compiled(catalog)))
    messages = [{k: v for k, v in t._catalog.items() if k != ""} for t in (shipped, fresh)]
    plural_rules = [t._info.get("plural-forms") for t in (shipped, fresh)]
    return messages[0] == messages[1] and plural_rules[0] == plural_rules[1]


def written(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, ignore_obsolete=True)
    return buffer.getvalue()


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """The template's messages that `catalog` does not translate (missing, empty or fuzzy)."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = () if found is None else found.string if isinstance(found.string, tuple) else (found.string,)
        if found is None or found.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def _without_date(text: bytes) -> bytes:
    return re.sub(rb'"POT-Creation-Date: [^"]*"\n', b"", text)


def write_if_changed(path: Path, data: bytes) -> None:
    """Write `data` unless the file says the same but for its date (no diff without a change)."""
    if not path.exists() or _without_date(path.read_bytes()) != _without_date(data):
        path.write_bytes(data)


def update() -> None:
    template = extract()
    write_if_changed(TEMPLATE, written(template))
    for language in languages():
        catalog = read(po_path(language))
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        write_if_changed(po_path(language), written(catalog))
        write_if_changed(po_path(language).with_suffix(".mo"), compiled(read(po_path(language))))
        missing = untranslated(catalog, template)
        print(f"{language}: {len(template)} messages, {len(missing)} to translate")


def check() -> int:
    template, bad = extract(), []
    for language in languages():
        catalog = read(po_path(language))
        bad += [f"{language}: no translation of {m!r}" for m in untranslated(catalog, template)]
        if not in_step(po_path(language).with_suffix(".mo").read_bytes(), catalog):
            bad.append(f"{language}: lstmlab.mo is not compiled from lstmlab.po (run python ci/catalog.py)")
    print("\n".join(bad) or "catalogs complete")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(check() if sys.argv[1:] == ["--check"] else update())
