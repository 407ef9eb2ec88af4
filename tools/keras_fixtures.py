"""Train the tutorial's first three models in real Keras and keep them as test fixtures.

    KERAS_BACKEND=jax python tools/keras_fixtures.py [--out tests/data/keras] [--epochs 150]

For each of naive, features and timesteps (32 units, the tutorial's code, 150 epochs
instead of 500), and a GRU on timesteps with Keras 3's hard_sigmoid, it writes, with Keras 3 on JAX (no TensorFlow):
    <name>.keras   model.save(...): the Keras 3 archive
    <name>.h5      model.save(...) in the legacy HDF5 format (model_config + model_weights)
refused-*.keras: small untrained models that lstmlab must refuse (a Lambda layer, two
LSTMs, a Bidirectional LSTM), as Keras itself saves them;
and predictions.json: Keras's own probabilities for every window of the alphabet, from the
very inputs the tutorial feeds it (codes / 26), which tests/test_keras_files.py matches.
The files are small (about 25 KB a model); rerun the script only to refresh them.
"""

import argparse
import json
import os
import warnings
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"

import numpy as np  # noqa: E402

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# name -> (window, framing, recurrent layer, its options): the tutorial's first three models, as
# `lstmlab list` shows them, and its main model as a GRU with Keras 3's own hard_sigmoid (which
# is not lstmlab's, Keras 2's: the import must rescale its gates)
MODELS = {
    "naive": (1, "timesteps", "LSTM", {}),
    "features": (3, "features", "LSTM", {}),
    "timesteps": (3, "timesteps", "LSTM", {}),
    "gru-hard-sigmoid": (3, "timesteps", "GRU", {"recurrent_activation": "hard_sigmoid"}),
}


def tutorial_data(window: int, framing: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The tutorial's windows of the alphabet: texts, X (samples, time, features), y one-hot."""
    codes = np.arange(len(ALPHABET))
    texts = [ALPHABET[i : i + window] for i in range(len(ALPHABET) - window)]
    x = np.array([codes[i : i + window] for i in range(len(texts))], np.float32) / len(ALPHABET)
    x = x.reshape(len(texts), 1, window) if framing == "features" else x.reshape(len(texts), window, 1)
    y = np.eye(len(ALPHABET), dtype=np.float32)[codes[window:]]
    return texts, x, y


def refused_models(keras) -> dict:
    """Models lstmlab does not import, each as Keras builds it (4 units, never trained)."""
    layers = keras.layers

    def model(*middle):
        return [keras.Input((3, 1)), *middle, layers.Dense(len(ALPHABET), activation="softmax")]

    return {
        "refused-lambda": model(layers.Lambda(lambda x: 2 * x), layers.LSTM(4)),
        "refused-two-lstms": model(layers.LSTM(4, return_sequences=True), layers.LSTM(4)),
        "refused-bidirectional": model(layers.Bidirectional(layers.LSTM(4))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "data" / "keras")
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args()
    import keras

    args.out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(7)  # the tutorial's numpy.random.seed(7)
    record = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "epochs": args.epochs}
    record["models"] = {}
    for name, (window, framing, layer, options) in MODELS.items():
        texts, x, y = tutorial_data(window, framing)
        model = keras.Sequential(
            [
                keras.Input((x.shape[1], x.shape[2])),
                getattr(keras.layers, layer)(32, **options),
                keras.layers.Dense(len(ALPHABET), activation="softmax"),
            ]
        )
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        model.fit(x, y, epochs=args.epochs, batch_size=1, verbose=0)
        model.save(args.out / f"{name}.keras")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "HDF5 is a legacy format": that is the point here
            model.save(args.out / f"{name}.h5")
        probabilities = np.asarray(model.predict(x, verbose=0), np.float64)
        record["models"][name] = {
            "input_shape": list(x.shape[1:]),
            "texts": texts,
            "predicted": "".join(ALPHABET[k] for k in probabilities.argmax(axis=1)),
            "probabilities": [[float(f"{p:.9g}") for p in row] for row in probabilities],
        }
        accuracy = float(np.mean(probabilities.argmax(axis=1) == y.argmax(axis=1)))
        print(f"{name}: accuracy {accuracy:.2%} after {args.epochs} epochs")
    for name, stack in refused_models(keras).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns that a Lambda's code is saved as bytecode
            keras.Sequential(stack).save(args.out / f"{name}.keras")
    (args.out / "predictions.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
