"""Independent plain-NumPy cells (float64), written from their equations, for comparisons."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def lstm_forward(params, x, mask=None, activation="sigmoid", h0=None, c0=None):
    """x (batch, time, features) -> per-step dicts of i, f, g, o, c, h, and logits.

    mask (batch, time): False steps keep the previous h and c.
    """
    act = sigmoid if activation == "sigmoid" else hard_sigmoid
    W = np.asarray(params["lstm"]["kernel"], np.float64)
    U = np.asarray(params["lstm"]["recurrent_kernel"], np.float64)
    b = np.asarray(params["lstm"]["bias"], np.float64)
    units = U.shape[0]
    batch, time, _ = x.shape
    h = np.zeros((batch, units)) if h0 is None else np.array(h0, np.float64)
    c = np.zeros((batch, units)) if c0 is None else np.array(c0, np.float64)
    steps = []
    for t in range(time):
        z = x[:, t].astype(np.float64) @ W + h @ U + b
        i = act(z[:, :units])
        f = act(z[:, units : 2 * units])
        g = np.tanh(z[:, 2 * units : 3 * units])
        o = act(z[:, 3 * units :])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t][:, None]
            c_new, h_new = np.where(keep, c_new, c), np.where(keep, h_new, h)
        c, h = c_new, h_new
        steps.append({"i": i, "f": f, "g": g, "o": o, "c": c, "h": h})
    logits = h @ np.asarray(params["dense"]["kernel"], np.float64) + np.asarray(params["dense"]["bias"], np.float64)
    return steps, logits


def _dense(params, h):
    return h @ np.asarray(params["dense"]["kernel"], np.float64) + np.asarray(params["dense"]["bias"], np.float64)


def _masked(mask, t, new, old):
    return new if mask is None else np.where(mask[:, t][:, None], new, old)


def lstm1997_forward(params, x, mask=None, activation="sigmoid"):
    """Hochreiter & Schmidhuber's cell without a forget gate: c_t = c_{t-1} + i g, h = o tanh(c).
    Blocks i, g, o."""
    act = sigmoid if activation == "sigmoid" else hard_sigmoid
    W, U, b = (np.asarray(params["lstm-1997"][k], np.float64) for k in ("kernel", "recurrent_kernel", "bias"))
    units = U.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    steps = []
    for t in range(x.shape[1]):
        pre = x[:, t].astype(np.float64) @ W + h @ U + b
        i = act(pre[:, :units])
        g = np.tanh(pre[:, units : 2 * units])
        o = act(pre[:, 2 * units :])
        c_new = c + i * g
        h_new = o * np.tanh(c_new)
        c, h = _masked(mask, t, c_new, c), _masked(mask, t, h_new, h)
        steps.append({"i": i, "g": g, "o": o, "c": c, "h": h})
    return steps, _dense(params, h)


def gru_forward(params, x, mask=None, activation="sigmoid"):
    """Keras 3's GRU, reset_after=True (keras/src/layers/rnn/gru.py, GRUCell.call):
    z = σ(x Wz + bz_in + h Uz + bz_rec), r likewise, g = tanh(x Wg + bg_in + r (h Ug + bg_rec)),
    h' = z h + (1 - z) g. bias is (2, 3 units): row 0 input, row 1 recurrent."""
    act = sigmoid if activation == "sigmoid" else hard_sigmoid
    W, U, b = (np.asarray(params["gru"][k], np.float64) for k in ("kernel", "recurrent_kernel", "bias"))
    units = U.shape[0]
    h = np.zeros((x.shape[0], units))
    steps = []
    blocks = [slice(k * units, (k + 1) * units) for k in range(3)]
    for t in range(x.shape[1]):
        xt = x[:, t].astype(np.float64)
        z = act(xt @ W[:, blocks[0]] + b[0, blocks[0]] + h @ U[:, blocks[0]] + b[1, blocks[0]])
        r = act(xt @ W[:, blocks[1]] + b[0, blocks[1]] + h @ U[:, blocks[1]] + b[1, blocks[1]])
        g = np.tanh(xt @ W[:, blocks[2]] + b[0, blocks[2]] + r * (h @ U[:, blocks[2]] + b[1, blocks[2]]))
        h = _masked(mask, t, z * h + (1 - z) * g, h)
        steps.append({"z": z, "r": r, "g": g, "h": h})
    return steps, _dense(params, h)


def rnn_forward(params, x, mask=None, activation="sigmoid"):
    """Keras's SimpleRNN: h' = tanh(x W + b + h U)."""
    W, U, b = (np.asarray(params["rnn"][k], np.float64) for k in ("kernel", "recurrent_kernel", "bias"))
    h = np.zeros((x.shape[0], U.shape[0]))
    steps = []
    for t in range(x.shape[1]):
        h = _masked(mask, t, np.tanh(x[:, t].astype(np.float64) @ W + b + h @ U), h)
        steps.append({"h": h})
    return steps, _dense(params, h)


FORWARD = {
    "lstm": lambda p, x, mask=None, activation="sigmoid": lstm_forward(p, x, mask, activation),
    "lstm-1997": lstm1997_forward,
    "gru": gru_forward,
    "rnn": rnn_forward,
}


def cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(targets)), targets].mean()


# --- Keras's training step, transcribed (float64) ---------------------------------------------
#
# Keras 3 `keras/src/optimizers/adam.py` (the same rule as tf.keras 2's Adam and Keras 1's):
#     alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)
#     m += (g - m) * (1 - b1);  v += (g^2 - v) * (1 - b2)
#     p -= alpha * m / (sqrt(v) + eps)
# Optax's `scale_by_adam` divides by sqrt(v_hat) + eps, with v_hat = v / (1 - b2^t): the same
# rule but for where eps is added, before the bias correction (Keras) or after it (Optax).
# Keras's categorical cross-entropy on a softmax layer's output, as its NumPy and JAX backends
# (and Theano's in Keras 1) compute it: the probabilities renormalised, clipped to [eps, 1 - eps],
# then -log of the target's. (Its TensorFlow backend reads the logits cached on a softmax
# output instead and does not clip.)

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): the clip, and Adam's default eps


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def keras_cross_entropy(logits, targets, epsilon=KERAS_EPSILON, reduce=True):
    """Keras's categorical cross-entropy of softmax(logits); the batch mean, or per sample."""
    probs = softmax(np.asarray(logits, np.float64))
    probs = np.clip(probs / probs.sum(axis=1, keepdims=True), epsilon, 1.0 - epsilon)
    per_sample = -np.log(probs[np.arange(len(targets)), targets])
    return per_sample.mean() if reduce else per_sample


def tree_map(fn, *trees):
    """fn over the leaves of nested dicts of arrays (the network's params), in key order."""
    if isinstance(trees[0], dict):
        return {key: tree_map(fn, *(tree[key] for tree in trees)) for key in trees[0]}
    return fn(*trees)


def numerical_gradient(loss, params, h=1e-3):
    """d loss / d params by five-point central differences (error ~h^4), float64, leaf by leaf."""

    def leaf_gradient(path):
        layer, name = path
        leaf = params[layer][name]
        grad = np.zeros_like(leaf)
        for index in np.ndindex(leaf.shape):
            values = []
            for step in (2 * h, h, -h, -2 * h):
                moved = leaf.copy()
                moved[index] += step
                values.append(loss({**params, layer: {**params[layer], name: moved}}))
            grad[index] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
        return grad

    return {layer: {name: leaf_gradient((layer, name)) for name in params[layer]} for layer in params}


def adam_init(params):
    """Zero moments and step count 0, as both Keras and Optax start."""
    zeros = tree_map(np.zeros_like, params)
    return {"m": zeros, "v": zeros, "t": 0}


def _moments(grads, state, b1, b2):
    m = tree_map(lambda m, g: m + (g - m) * (1 - b1), state["m"], grads)
    v = tree_map(lambda v, g: v + (g * g - v) * (1 - b2), state["v"], grads)
    return m, v, state["t"] + 1


def keras_adam_step(params, grads, state, lr, b1=0.9, b2=0.999, epsilon=KERAS_EPSILON):
    """One Keras Adam update: eps added to sqrt(v) before the bias correction."""
    m, v, t = _moments(grads, state, b1, b2)
    alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    new = tree_map(lambda p, m, v: p - alpha * m / (np.sqrt(v) + epsilon), params, m, v)
    return new, {"m": m, "v": v, "t": t}


def optax_adam_step(params, grads, state, lr, b1=0.9, b2=0.999, epsilon=KERAS_EPSILON):
    """One optax.adam update: eps added to sqrt(v_hat) after the bias correction."""
    m, v, t = _moments(grads, state, b1, b2)

    def step(p, m, v):
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + epsilon)

    return tree_map(step, params, m, v), {"m": m, "v": v, "t": t}
