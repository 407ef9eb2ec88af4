"""Models with freshly initialised (untrained) weights, so that files, predictions and gates can
be tested without paying for training."""

import jax
import numpy as np

from lstmlab.engine.network import init_model
from lstmlab.model.trained import Model
from lstmlab.settings.config import load_config

CYRILLIC = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"


def untrained(experiment: str = "timesteps", seed: int = 0, **overrides) -> Model:
    config = load_config(experiment, **overrides)
    params = init_model(jax.random.key(seed), config)
    # Small random biases too, so that no gate sits at exactly its initial value.
    layer = params[config.cell]
    layer["bias"] = layer["bias"] + 0.3 * jax.random.normal(jax.random.key(seed + 1), layer["bias"].shape)
    return Model(config, jax.tree_util.tree_map(np.asarray, params), seed=seed, run_seeds=(seed,))
