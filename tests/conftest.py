import pytest


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Point every user directory lstmlab writes to at a temporary folder.

    The compile cache is shared by the whole session (one folder), so tests still gain from it.
    """
    cache = tmp_path_factory.getbasetemp() / "jax-cache"
    monkeypatch.setenv("LSTMLAB_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.setenv("COLUMNS", "100")
