"""An independent plain-NumPy LSTM (float64), written from the equations, for comparisons."""

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


def cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(targets)), targets].mean()
