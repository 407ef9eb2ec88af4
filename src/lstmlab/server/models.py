"""The playground's `--models` folder: saved models by plain name, listed, loaded and saved
with `persist` (the files `lstmlab run … --save DIR` writes and `lstmlab predict DIR` reads).

A loaded model is kept while its config.json is unchanged, so typing into the page does not
read the files again at every letter; the KEPT_MODELS most recently used are kept, no more.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from lstmlab.document import Document
from lstmlab.errors import ModelFileError
from lstmlab.i18n import _
from lstmlab.model.persist import CONFIG_FILE, load, save
from lstmlab.model.trained import Model
from lstmlab.server.guard import Refused, model_path

KEPT_MODELS = 8  # a folder of many (or large) models is not held in memory all at once


@dataclass(frozen=True)
class SavedModel:
    name: str
    seed: int | None
    settings: dict | None  # the model's settings (its `Config`), or None when it cannot be read
    error: str | None  # why it cannot be read, in the line `lstmlab predict` would print


@dataclass(frozen=True)
class ModelList(Document):
    kind = "models"
    folder: str
    models: tuple[SavedModel, ...]  # by name


@dataclass(frozen=True)
class SavedTo(Document):
    kind = "saved"
    name: str
    folder: str  # where the model's config.json and model.safetensors are
    seed: int | None


class ModelFolder:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._loaded: OrderedDict[str, tuple[float, Model]] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, name: str) -> Model:
        path = model_path(self.root, name)
        try:
            stamp = (path / CONFIG_FILE).stat().st_mtime
        except OSError:
            raise Refused(
                404, _("no model {name!r} in the models folder '{root}'").format(name=name, root=self.root)
            ) from None
        with self._lock:
            kept = self._loaded.get(name)
            if kept is not None:
                self._loaded.move_to_end(name)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        model = load(path)
        with self._lock:
            self._loaded[name] = (stamp, model)
            while len(self._loaded) > KEPT_MODELS:
                self._loaded.popitem(last=False)
        return model

    def listing(self) -> ModelList:
        names = sorted(p.name for p in self.root.iterdir() if _listed(p)) if self.root.is_dir() else []
        return ModelList(str(self.root), tuple(self._entry(name) for name in names))

    def _entry(self, name: str) -> SavedModel:
        try:
            model = self.load(name)
        except (ModelFileError, Refused) as e:
            return SavedModel(name, None, None, str(e))
        return SavedModel(name, model.seed, model.config.to_dict(), None)

    def save(self, name: str, model: Model) -> SavedTo:
        path = model_path(self.root, name)
        save(path, model)
        with self._lock:
            self._loaded.pop(name, None)
        return SavedTo(name, str(path), model.seed)


def _listed(path: Path) -> bool:
    """A folder that looks like one model (a name the playground takes, with a config.json)."""
    try:
        model_path(path.parent, path.name)
    except Refused:
        return False
    return (path / CONFIG_FILE).is_file()
