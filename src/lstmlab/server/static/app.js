// The playground page: settings in the URL, Train with streamed progress, the documents the API
// serves drawn as they come, and a model to ask (a run's, or a saved one).
import { bars, curve, el, heatmap, histogram, percent } from "./draw.js";
import { setWords, t } from "./words.js";

const $ = (id) => document.getElementById(id);
// The page's language: ?lang= in the URL (English when absent); its words come from the server's catalogs.
const LANGUAGE = new URLSearchParams(location.search).get("lang") || "en";
const SIX = ["i", "f", "g", "o", "c", "h"]; // an LSTM's panels, for an inspection without "panels"
const state = {
  playground: null, experiments: {}, form: {}, stream: null, run: null, runDocument: null,
  model: null, // {run} or {model}: who answers Type and Generate
  modelSettings: null, // that model's settings (alphabet, window, stateful, ...)
  asked: 0, // the latest Type request; older answers are dropped
};

// --- the API -----------------------------------------------------------------------------

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  options.headers = { ...options.headers, "Accept-Language": LANGUAGE }; // errors come in the page's language
  const response = await fetch(path, options);
  const document = await response.json();
  if (!response.ok) throw new Error(document.error || `${response.status}`);
  return document;
}

function say(id, text, bad = false) {
  $(id).textContent = text;
  $(id).classList.toggle("bad", bad);
}

// --- settings: the form is built from the experiment's settings; changes live in the URL --

function experiment() {
  return $("experiment").value;
}

function defaults() {
  return state.experiments[experiment()].settings;
}

function buildForm(overrides = {}) {
  const { fixed, choices, nullable } = state.playground;
  const form = $("settings");
  form.replaceChildren();
  state.form = {};
  for (const [name, value] of Object.entries(defaults())) {
    if (fixed.includes(name)) continue;
    const given = name in overrides ? overrides[name] : value;
    let input;
    if (choices[name]) {
      input = el("select", { id: `setting-${name}` }, ...choices[name].map((c) => el("option", { value: c, text: c })));
      input.value = given;
    } else if (typeof value === "boolean") {
      input = el("input", { type: "checkbox", id: `setting-${name}` });
      input.checked = given === true || given === "true";
    } else if (nullable.includes(name)) {
      input = el("input", { type: "text", id: `setting-${name}`, placeholder: "all", size: 6 });
      input.value = given === null || given === "all" ? "" : `${given}`;
    } else if (typeof value === "number") {
      input = el("input", { type: "number", id: `setting-${name}`, step: Number.isInteger(value) ? 1 : "any" });
      input.value = `${given}`;
    } else {
      input = el("input", { type: "text", id: `setting-${name}` });
      input.value = given ?? "";
    }
    input.addEventListener("change", writeURL);
    state.form[name] = input;
    form.append(el("label", { for: `setting-${name}` }, el("span", { text: name.replaceAll("_", " ") }), input));
  }
}

function formValue(name, input) {
  const value = defaults()[name];
  if (input.type === "checkbox") return input.checked;
  if (state.playground.nullable.includes(name)) {
    const text = input.value.trim();
    return text === "" || text === "all" ? null : Number.isNaN(Number(text)) ? text : Number(text);
  }
  if (typeof value === "number") return input.value === "" ? value : Number(input.value);
  return input.value;
}

// Only what differs from the experiment's settings is sent: a pasted text brings its own alphabet.
function changedSettings() {
  const changed = {};
  for (const [name, input] of Object.entries(state.form)) {
    const value = formValue(name, input);
    if (value !== defaults()[name]) changed[name] = value;
  }
  return changed;
}

function writeURL() {
  const query = new URLSearchParams({ experiment: experiment() });
  for (const [name, value] of Object.entries(changedSettings())) query.set(name, value === null ? "all" : `${value}`);
  const text = $("text").value;
  if (text) query.set("text", text);
  if ($("type").value) query.set("type", $("type").value);
  if ($("warm").checked) query.set("warm", "1");
  if (state.model?.model) query.set("model", state.model.model);
  if (LANGUAGE !== "en") query.set("lang", LANGUAGE);
  history.replaceState(null, "", `?${query}`);
}

function readURL() {
  const query = new URLSearchParams(location.search);
  const overrides = {};
  for (const [name, value] of query) {
    if (["experiment", "text", "type", "warm", "model", "lang"].includes(name)) continue;
    overrides[name] = value === "true" ? true : value === "false" ? false : value;
  }
  return { query, overrides };
}

function chooseExperiment(overrides = {}) {
  buildForm(overrides);
  const entry = state.experiments[experiment()];
  say("description", t("{description} — the tutorial reported {accuracy}",
    { description: t(entry.description), accuracy: percent(entry.tutorial_accuracy) }));
  writeURL();
}

// --- training ----------------------------------------------------------------------------

function stopStream() {
  if (state.stream) state.stream.close(); // the server cancels a training whose stream closes
  state.stream = null;
}

async function train(seeds = null) {
  stopStream();
  const body = { experiment: experiment(), settings: changedSettings() };
  if ($("text").value) body.text = $("text").value;
  if (seeds) body.seeds = seeds;
  say("status", t("starting…"));
  $("progress").value = 0;
  let started;
  try {
    started = await api("/api/runs", body);
  } catch (e) {
    return say("status", e.message, true);
  }
  const curves = { loss: [], accuracy: [], epochs: 1 };
  const stream = new EventSource(started.events);
  state.stream = stream;
  stream.addEventListener("queued", (e) => {
    const data = JSON.parse(e.data);
    curves.epochs = data.epochs;
    say("status", data.ahead ? t("waiting: {n} training(s) ahead", { n: data.ahead }) : t("compiling…"));
  });
  stream.addEventListener("started", () => say("status", "compiling…"));
  stream.addEventListener("progress", (e) => {
    const data = JSON.parse(e.data);
    curves.loss.push(...data.loss);
    curves.accuracy.push(...data.accuracy);
    $("progress").value = data.epochs_done / data.epochs;
    say("status", t("epoch {done} of {total}", { done: data.epochs_done, total: data.epochs }));
    drawCurves(curves);
  });
  stream.addEventListener("done", async (e) => {
    stopStream();
    const data = JSON.parse(e.data);
    const document = await api(`/api/runs/${data.run}`);
    say("status", t("{run}: trained in {seconds} s (compiling {compiling} s)", { run: started.run,
      seconds: document.timing.train_seconds.toFixed(2), compiling: document.timing.compile_seconds.toFixed(2) }));
    showRun(document, data.run);
  });
  stream.addEventListener("cancelled", () => { stopStream(); say("status", "cancelled", true); });
  stream.addEventListener("error", (e) => {
    if (e.data) say("status", JSON.parse(e.data).error, true);
    stopStream();
  });
}

function drawCurves(curves) {
  $("curves").replaceChildren(curve(t("loss"), curves.loss, curves.epochs), curve(t("accuracy"), curves.accuracy, curves.epochs, 1));
}

function showRun(document, runId) {
  state.runDocument = document;
  const seed = document.seeds[0];
  drawCurves({ loss: seed.history.loss, accuracy: seed.history.accuracy, epochs: seed.history.loss.length });
  const many = document.seeds.length > 1;
  const label = many ? t("Seed {seed} of {seeds}. ", { seed: seed.seed, seeds: document.seeds.length }) : "";
  say("accuracy", label + t("Model Accuracy: {accuracy}", { accuracy: percent(seed.accuracy) }));
  const rows = (seed.predictions || []).map((row) => el("tr", { class: row.correct ? "" : "wrong" },
    el("td", { text: row.input }), el("td", { text: "→" }), el("td", { text: row.predicted }),
    el("td", { text: row.correct ? "" : t("✗ expected {target}", { target: row.target }) }), el("td", { class: "p", text: row.probability.toFixed(3) })));
  $("predictions").replaceChildren(...rows);
  showSeeds(document);
  showDemonstrations(document.demonstrations);
  $("command").textContent = document.command.join(" ");
  useModel({ run: runId }, document.settings, t("run {run}: {experiment}, seed {seed}", { run: runId, experiment: document.experiment, seed: seed.seed }));
}

function showSeeds(document) {
  const stats = document.statistics;
  $("seeds").hidden = !stats;
  if (!stats) return;
  const s = stats.summary;
  say("seeds-summary", t("{seeds} seeds: mean {mean}, median {median}, min {min}, max {max}; {perfect}/{seeds} at 100%",
    { seeds: s.seeds, mean: percent(s.mean), median: percent(s.median), min: percent(s.minimum),
      max: percent(s.maximum), perfect: s.perfect }));
  const tutorial = state.experiments[document.experiment]?.tutorial_accuracy ?? 1;
  $("histogram").replaceChildren(histogram(stats.histogram, tutorial));
  $("hits").replaceChildren(bars(stats.patterns.map((p) => [`${p.input}→${p.target}`, p.hits / p.seeds, `${p.hits}/${p.seeds}`]), "bars hits"));
}

function showDemonstrations(demonstrations) {
  $("demonstrations").hidden = !demonstrations;
  if (!demonstrations) return;
  $("demonstrations").replaceChildren(el("h3", { text: t("The tutorial's demonstrations") }),
    ...demonstrations.generations.map((d) => el("p", {}, el("span", { text: d.title + " " }), el("code", { text: d.generation.sequence }))),
    el("p", { class: "note", text: demonstrations.explanation }));
}

// --- asking a model: Type, Generate, Save ------------------------------------------------

function useModel(source, settings, label) {
  state.model = source;
  state.modelSettings = settings;
  say("model", label);
  $("ask").classList.remove("empty");
  $("stateful").hidden = !settings.stateful;
  const window = settings.alphabet.slice(0, settings.seq_length);
  if (!$("start").value || ![...$("start").value].every((c) => settings.alphabet.includes(c))) $("start").value = window;
  if (!$("type").value) $("type").value = settings.alphabet.slice(10, 10 + settings.seq_length) || window;
  writeURL();
  ask();
}

// The warm-up before `text` when the toggle is on: the letters before its first one (A…J for K).
function warmup(text) {
  const { alphabet, stateful } = state.modelSettings;
  if (!$("warm").checked || !stateful || !text) return "";
  return alphabet.slice(0, Math.max(0, alphabet.indexOf(text[0])));
}

// What the model reads: the typed text, after its warm-up.
function readText() {
  const typed = $("type").value;
  const before = warmup(typed);
  return { text: before + typed, warm: before.length };
}

// Checked here, not by the server: a 400 would be noise in the console at every keystroke.
function readable(text) {
  const s = state.modelSettings;
  const symbols = [...text];
  const odd = symbols.find((c) => !s.alphabet.includes(c));
  const n = s.seq_length;
  if (odd !== undefined) return t("'{symbol}' is not in the model's alphabet", { symbol: odd });
  if (s.stateful) return symbols.length >= n ? null : t("this model needs at least {n} symbols", { n });
  if (s.data === "runs") return symbols.length >= 1 && symbols.length <= n ? null : t("this model reads 1..{n} symbols", { n });
  return symbols.length === n ? null : t("this model reads windows of exactly {n} symbols", { n });
}

async function ask() {
  if (!state.model) return;
  writeURL();
  const { text, warm } = readText();
  const problem = readable(text);
  if (problem) return say("answer", problem, true);
  const asked = ++state.asked;
  try {
    const [prediction, inspection] = await Promise.all([
      api("/api/predict", { ...state.model, text, top: 5 }), api("/api/inspect", { ...state.model, text }),
    ]);
    if (asked !== state.asked) return; // a later keystroke's answer is on its way
    const shown = warm ? t("{text} (warmed with {warmup})", { text: text.slice(warm), warmup: text.slice(0, warm) }) : text;
    say("answer", `${shown} → ${prediction.predicted}  (p = ${prediction.probability.toFixed(3)})`);
    $("answer").dataset.predicted = prediction.predicted;
    $("top").replaceChildren(bars(prediction.top.map((r) => [r.symbol, r.probability, r.probability.toFixed(3)]), "bars top"));
    const panels = inspection.panels || SIX;
    $("heatmaps").replaceChildren(...panels.map((name) => heatmap(name, inspection.steps, tooltip, warm)));
  } catch (e) {
    if (asked === state.asked) say("answer", e.message, true);
  }
}

function tooltip(text, event) {
  const tip = $("tooltip");
  tip.hidden = !text;
  if (!text) return;
  tip.textContent = text;
  tip.style.left = `${event.pageX + 12}px`;
  tip.style.top = `${event.pageY + 12}px`;
}

async function generate() {
  if (!state.model) return;
  const body = { ...state.model, start: $("start").value, steps: Number($("steps").value) };
  if (warmup($("start").value)) body.warmup = warmup($("start").value);
  try {
    const generation = await api("/api/generate", body);
    say("generated", generation.sequence);
  } catch (e) {
    say("generated", e.message, true);
  }
}

async function save() {
  if (!state.model?.run) return say("saved", "train a model first: saving keeps a run's model", true);
  try {
    const saved = await api("/api/models", { run: state.model.run, name: $("name").value });
    say("saved", t("saved to {folder}", { folder: saved.folder }));
    listModels();
  } catch (e) {
    say("saved", e.message, true);
  }
}

async function listModels() {
  const listing = await api("/api/models");
  $("models-folder").textContent = listing.folder;
  $("models").replaceChildren(...listing.models.map((m) => el("li", {}, m.error
    ? el("span", { class: "bad", text: `${m.name}: ${m.error}` })
    : el("button", { type: "button", class: "open-model", "data-name": m.name, onclick: () => openModel(m),
        text: t("{name} — {experiment}, {units} units, seed {seed}",
          { name: m.name, experiment: m.settings.experiment, units: m.settings.units, seed: m.seed }) }))));
  return listing;
}

function openModel(m) {
  useModel({ model: m.name }, m.settings, t("saved model {name}: {experiment}, seed {seed}", { name: m.name, experiment: m.settings.experiment, seed: m.seed }));
}

// --- start ---------------------------------------------------------------------------------

// The page's own words (index.html) into its language, and the language switch.
function translatePage(messages) {
  const words = messages.messages;
  setWords(words);
  document.documentElement.lang = messages.language;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\s+/g, " ").trim();
    if (text && words[text]) node.textContent = node.textContent.replace(/\S[\s\S]*\S|\S/, words[text]);
  }
  for (const attribute of ["title", "placeholder"]) {
    for (const node of document.querySelectorAll(`[${attribute}]`)) node.setAttribute(attribute, t(node.getAttribute(attribute)));
  }
  document.title = t(document.title);
  const choice = $("language");
  choice.replaceChildren(...Object.entries(messages.languages).map(([code, name]) => el("option", { value: code, text: name })));
  choice.value = messages.language;
  choice.addEventListener("change", () => {
    const query = new URLSearchParams(location.search);
    if (choice.value === "en") query.delete("lang"); else query.set("lang", choice.value);
    location.search = `?${query}`; // the page again, in that language, with the same state
  });
}

async function start() {
  translatePage(await api("/api/messages"));
  const [playground, experiments] = await Promise.all([api("/api/playground"), api("/api/experiments")]);
  state.playground = playground;
  for (const entry of experiments.experiments) state.experiments[entry.name] = entry;
  $("experiment").replaceChildren(...experiments.experiments.map((e) => el("option", { value: e.name, text: e.name })));
  const { query, overrides } = readURL();
  const wanted = query.get("experiment") || "timesteps"; // the tutorial's main model
  if (state.experiments[wanted]) $("experiment").value = wanted;
  $("text").value = query.get("text") || "";
  $("type").value = query.get("type") || "";
  $("warm").checked = query.get("warm") === "1";
  chooseExperiment(overrides);
  $("experiment").addEventListener("change", () => chooseExperiment());
  $("text").addEventListener("change", writeURL);
  $("train").addEventListener("click", () => train());
  $("seeds-button").addEventListener("click", () => train(100));
  $("type").addEventListener("input", ask);
  $("warm").addEventListener("change", ask);
  $("generate").addEventListener("click", generate);
  $("save").addEventListener("click", save);
  const listing = await listModels();
  const named = listing.models.find((m) => m.name === query.get("model") && !m.error);
  if (named) openModel(named);
  document.body.dataset.ready = "1";
}

start().catch((e) => say("status", e.message, true));
