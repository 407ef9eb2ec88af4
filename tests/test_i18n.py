"""lstmlab in Russian: the catalogs are complete and in step with the source, the language is
chosen as documented, and the command line and the server speak it."""

import importlib.util
import re
import string
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab import i18n
from lstmlab.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("catalog", ROOT / "ci" / "catalog.py")
catalog = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalog)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def template():
    return catalog.extract()


@pytest.fixture(scope="module")
def russian():
    return catalog.read(catalog.po_path("ru"))


def test_every_marked_message_has_a_russian_translation(template, russian):
    assert len(template) > 250  # the extraction found the CLI, the renderers, the errors and the page
    assert catalog.untranslated(russian, template) == []


def test_a_new_untranslated_message_fails(russian):
    source = 'from lstmlab.i18n import _\nraise ValueError(_("a message nobody has translated yet {x}"))\n'
    template = catalog.Catalog()
    for message, line in catalog.messages_in(source):
        template.add(message, locations=[("new.py", line)])
    assert catalog.untranslated(russian, template) == ["a message nobody has translated yet {x}"]


def test_commands_docstrings_and_option_help_are_extracted(template):
    ids = {m.id for m in template}
    assert "Print the version and exit." in ids
    assert any(isinstance(i, str) and i.startswith("Train one experiment at the tutorial's settings") for i in ids)
    assert ("{task}: {n} seed", "{task}: {n} seeds") in ids


def test_placeholders_match(russian):
    for message in russian:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        for translated in strings:
            assert fields(translated) == fields(ids[-1]), (message.id, translated)


def test_russian_has_three_plural_forms(russian):
    assert russian.num_plurals == 3
    with i18n.speaking("ru"):
        forms = [i18n.ngettext("{task}: {n} seed", "{task}: {n} seeds", n) for n in (1, 3, 5)]
    seeds = [form.format(task="adding", n=n) for form, n in zip(forms, (1, 3, 5), strict=True)]
    assert seeds == ["adding: 1 зерно", "adding: 3 зерна", "adding: 5 зёрен"]


def test_the_compiled_catalog_is_in_step_with_the_po(russian):
    shipped = catalog.po_path("ru").with_suffix(".mo").read_bytes()
    assert catalog.in_step(shipped, russian)
    stale = catalog.Catalog(locale="ru")  # a .po with one translation changed no longer matches it
    for message in russian:
        stale.add(message.id, "изменено" if message.id == "Interrupted." else message.string)
    assert not catalog.in_step(shipped, stale)


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ru_RU"}, "ru"),
        ({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, "en"),  # LC_ALL comes first
        ({"LANGUAGE": "de:ru", "LANG": "C"}, "ru"),  # the first of LANGUAGE's list lstmlab speaks
        ({"LSTMLAB_LANG": "ru", "LANG": "en_US.UTF-8"}, "ru"),
        ({"LSTMLAB_LANG": "en", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LSTMLAB_LANG": "xx", "LANG": "ru_RU.UTF-8"}, "en"),  # the override decides, even unknown
        ({"LSTMLAB_LANG": "", "LANG": "ru_RU.UTF-8"}, "ru"),  # set but empty: not an override
    ],
)
def test_language_resolution(environ, expected):
    assert i18n.language_from(environ) == expected


def test_the_language_is_read_at_each_call(monkeypatch):
    monkeypatch.setenv("LSTMLAB_LANG", "ru")
    assert i18n._("Interrupted.") == "Прервано."
    monkeypatch.setenv("LSTMLAB_LANG", "en")
    assert i18n._("Interrupted.") == "Interrupted."
    with i18n.speaking("ru"):  # the context (a server request) wins over the environment
        assert i18n._("Interrupted.") == "Прервано."


@pytest.mark.parametrize(
    "header, expected", [(None, "en"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("de,en;q=0.5", "en"), ("fr", "en")]
)
def test_accept_language(header, expected):
    assert i18n.from_accept_language(header) == expected


def cli(args, language):
    return CliRunner().invoke(app, args, env={"LSTMLAB_LANG": language})


def test_run_speaks_russian():
    result = cli(["run", "timesteps", "--epochs", "2"], "ru")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "timesteps: окно из трёх букв как три шага одного признака"
    assert lines[1] == "окно 3, постановка timesteps, блоков 32, эпох 2, пакет 1, перемешивание вкл."
    assert re.fullmatch(r"Точность модели: \d+\.\d\d%", lines[25])
    assert any(re.fullmatch(r"\['B', 'C', 'D'\] -> [A-Z]   ✗ ожидалось E", line) for line in lines)
    assert re.match(r"Шагов обучения: 46, за [\d.]+ с", lines[-1])


def test_english_stays_as_it_was():
    result = cli(["run", "timesteps", "--epochs", "2"], "en")
    lines = result.stdout.splitlines()
    assert lines[1] == "window 3, framing timesteps, units 32, epochs 2, batch 1, shuffle on"
    assert re.fullmatch(r"Model Accuracy: \d+\.\d\d%", lines[25])
    assert any(re.fullmatch(r"\['B', 'C', 'D'\] -> [A-Z]   ✗ expected E", line) for line in lines)


@pytest.mark.parametrize(
    "args, russian, english",
    [
        (
            ["run", "nope"],
            "Ошибка: неизвестный эксперимент 'nope'; выберите один из: naive, features, timesteps, batch-state, "
            "stateful, variable-length; или одну из задач статьи 1997 года: long-lag, adding, temporal-order, "
            "embedded-reber",
            "Error: unknown experiment 'nope'; choose one of: naive, features, timesteps, batch-state, stateful, "
            "variable-length; or one of the 1997 paper's tasks: long-lag, adding, temporal-order, embedded-reber",
        ),
        (
            ["run", "timesteps", "--epochs", "0"],
            "Ошибка: epochs должно быть положительным целым числом, получено 0",
            "Error: epochs must be a positive whole number, got 0",
        ),
        (
            ["run", "timesteps", "--frobnicate", "3"],
            "Ошибка: Нет такого параметра: --frobnicate",
            "Error: No such option: --frobnicate",
        ),
        (
            ["run", "timesteps", "--seeds", "5-2"],
            "Ошибка: --seeds '5-2': диапазон '5-2' идёт в обратную сторону; напишите 2-5",
            "Error: --seeds '5-2': the range '5-2' runs backwards; write 2-5",
        ),
        (["run"], "Ошибка: Не указан аргумент 'experiment'.", "Error: Missing argument 'experiment'."),
    ],
)
def test_error_lines(args, russian, english):
    for language, line in (("ru", russian), ("en", english)):
        result = cli(args, language)
        assert result.exit_code == 2
        assert result.stderr.strip() == line


@pytest.mark.parametrize(
    "line, russian",
    [
        (
            "No such option: --epoch (Possible options: --epochs)",
            "Нет такого параметра: --epoch (возможные параметры: --epochs)",
        ),
        (
            "No such option: --epoch Did you mean '--epochs'?",
            "Нет такого параметра: --epoch. Может быть, имелся в виду '--epochs'?",
        ),
        (
            "Invalid value for '--epochs': Input should be a valid integer, unable to parse string as an integer",
            "Недопустимое значение '--epochs': нужно целое число, а строку не удаётся прочитать как целое число",
        ),
        (
            "Invalid value for '--epochs': 'x' is not a valid integer.",
            "Недопустимое значение '--epochs': 'x' — не целое число.",
        ),
        ("Got unexpected extra argument (extra)", "Лишний аргумент (extra)"),
        ("Something click says that lstmlab does not know", "Something click says that lstmlab does not know"),
    ],
)
def test_click_lines_in_our_words(line, russian):
    """Click's and Typer's usage errors differ between releases; each known wording is recognised."""
    from lstmlab.cli.text import in_our_words

    with i18n.speaking("ru"):
        assert in_our_words(line) == russian
    with i18n.speaking("en"):
        assert in_our_words(line) == line


def test_help_in_russian():
    top = cli(["--help"], "ru").stdout
    assert "Изучайте, как LSTM учится" in top and "Команды" in top and "Показать эту справку и выйти." in top
    run = " ".join(cli(["run", "--help"], "ru").stdout.split())
    assert "Обучить один эксперимент с настройками урока" in run and "Примеры:" in run
    assert "Случайное зерно для весов и перемешивания (по умолчанию как в уроке, 7)." in run.replace("│ ", "")
    english = cli(["--help"], "en").stdout
    assert "Show this message and exit." in english and "Commands" in english


def test_server_answers_in_the_pages_language(tmp_path):
    from starlette.testclient import TestClient

    from lstmlab.server.app import create_app

    app = create_app(tmp_path / "models")
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        body = {"model": "nope", "text": "ABC"}
        russian = client.post("/api/predict", json=body, headers={"Accept-Language": "ru"})
        english = client.post("/api/predict", json=body)
        assert russian.status_code == english.status_code == 404
        assert russian.json()["error"].startswith("нет модели 'nope' в папке моделей")
        assert english.json()["error"].startswith("no model 'nope' in the models folder")
        missing = client.get("/api/nothing", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
        assert missing.json() == {"error": "нет такой страницы или точки API"}
        words = client.get("/api/messages", headers={"Accept-Language": "ru"}).json()
        assert words["language"] == "ru" and words["languages"] == {"en": "English", "ru": "Русский"}
        assert words["messages"]["Train"] == "Обучить"
        assert client.get("/api/messages").json()["messages"]["Train"] == "Train"
        body = {"experiment": "naive", "settings": {"epochs": 1, "units": 2}}
        started = client.post("/api/runs", json=body, headers={"Accept-Language": "ru"}).json()
        assert app.state.runs.get(started["run"]).language == "ru"  # its worker speaks Russian
        assert "event: done" in client.get(started["events"]).text  # (and no training left running at exit)


def test_every_text_the_page_shows_is_in_the_catalog():
    from html.parser import HTMLParser

    from lstmlab.server.page_text import PAGE

    static = ROOT / "src" / "lstmlab" / "server" / "static"
    texts = set()

    class Texts(HTMLParser):
        def handle_data(self, data):
            if " ".join(data.split()).strip(" :"):
                texts.add(" ".join(data.split()))

        def handle_starttag(self, tag, attrs):
            texts.update(value for name, value in attrs if name in ("title", "placeholder"))

    Texts().feed((static / "index.html").read_text(encoding="utf-8"))
    texts -= {"lstmlab", ":"}
    assert texts - set(PAGE) == set()
    scripts = [(static / name).read_text(encoding="utf-8") for name in ("app.js", "draw.js")]
    shown = {text for script in scripts for text in re.findall(r'\btr?\("((?:[^"\\]|\\.)*)"', script)}
    assert len(shown) >= 25 and shown - set(PAGE) == set()


# A message passed straight to an exception as a literal or an f-string never reaches the
# catalog; the classes below are for bugs, whose text is for us, not for the user.
FOR_BUGS = {"AttributeError", "TypeError", "AssertionError", "NotImplementedError", "RuntimeError"}


def unmarked_error_messages(source: str) -> list[str]:
    """`raise SomeError("…")` / `raise error(f"…")` whose message is not passed through `_()`."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            called = node.exc.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
            message = node.exc.args[0]
            literal = isinstance(message, ast.JoinedStr) or (
                isinstance(message, ast.Constant) and isinstance(message.value, str)
            )
            if name not in FOR_BUGS and (literal or isinstance(message, ast.BinOp)):
                found.append(f"line {node.lineno}: {ast.unparse(message)[:80]}")
    return found


def test_no_error_message_escapes_the_catalog():
    escaped = {
        path.name: lines
        for path in sorted((ROOT / "src" / "lstmlab").rglob("*.py"))
        if (lines := unmarked_error_messages(path.read_text(encoding="utf-8")))
    }
    assert escaped == {}


def test_an_unmarked_error_message_is_found():
    source = 'def f(x):\n    raise ConfigError(f"bad {x}")\n\ndef g():\n    raise ConfigError(_("good"))\n'
    assert unmarked_error_messages(source) == ["line 2: f'bad {x}'"]
