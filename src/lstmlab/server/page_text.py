"""The playground page's words, for the catalogs: the page asks /api/messages for them in its
language and shows each through `t()` (lstmlab/server/static/app.js). The page's HTML and script hold
the English; tests/test_i18n.py checks that every text they show is listed here."""

from lstmlab.i18n import N_, _
from lstmlab.settings.experiments import EXPERIMENTS

PAGE = (
    # index.html
    N_("lstmlab playground"),
    N_("playground"),
    N_("experiment"),
    N_("Train"),
    N_("100 seeds"),
    N_("Train seeds 1..100 at once and show how accuracy is spread"),
    N_("Data and settings"),
    N_("or learn a text you paste (its characters become the alphabet)"),
    N_("paste a short text…"),
    N_("Every setting is in the address bar: a link reproduces this view."),
    N_("Training"),
    N_("Accuracy over seeds"),
    N_("Per pattern: seeds that predict it right"),
    N_("The same run on the command line:"),
    N_("Ask the model"),
    N_("Train a model, or open a saved one below."),
    N_("Type"),
    N_("warm the state first with the letters before the first one typed (A…J before K); off: read from a reset state"),
    N_("Generate"),
    N_("from"),
    N_("steps"),
    N_("Save and open models"),
    N_("name"),
    N_("Save"),
    N_("Saved models in"),
    N_("language"),
    # app.js
    N_("{description} — the tutorial reported {accuracy}"),
    N_("compiling…"),
    N_("waiting: {n} training(s) ahead"),
    N_("epoch {done} of {total}"),
    N_("{run}: trained in {seconds} s (compiling {compiling} s)"),
    N_("Seed {seed} of {seeds}. "),
    N_("Model Accuracy: {accuracy}"),
    N_("✗ expected {target}"),
    N_("{seeds} seeds: mean {mean}, median {median}, min {min}, max {max}; {perfect}/{seeds} at 100%"),
    N_("The tutorial's demonstrations"),
    N_("'{symbol}' is not in the model's alphabet"),
    N_("this model needs at least {n} symbols"),
    N_("this model reads 1..{n} symbols"),
    N_("this model reads windows of exactly {n} symbols"),
    N_("saved to {folder}"),
    N_("starting…"),
    N_("loss"),
    N_("accuracy"),
    N_("run {run}: {experiment}, seed {seed}"),
    N_("{text} (warmed with {warmup})"),
    N_("{name} — {experiment}, {units} units, seed {seed}"),
    N_("saved model {name}: {experiment}, seed {seed}"),
    # draw.js
    N_("◀ the tutorial: {accuracy}"),
    N_(" (warm-up)"),
    N_("{panel} · unit {unit} · step {step}"),
)


def page_messages() -> dict[str, str]:
    """Each of the page's English texts (and the experiments' descriptions), in the current language."""
    return {message: _(message) for message in (*PAGE, *(e.summary for e in EXPERIMENTS.values()))}
