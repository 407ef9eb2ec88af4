// Small functions that draw one thing from one document: a curve, bars, a histogram, a heatmap.
// Hand-written SVG; no library. Each returns an element for the caller to place.

import { t as tr } from "./words.js"; // `t` is a step index in the drawings below

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

export const percent = (share) => `${(share * 100).toFixed(2)}%`;

// A line over epochs: values[k] is epoch k + 1. `top` fixes the y range's top (accuracy: 1).
export function curve(title, values, epochs, top = null) {
  const width = 300, height = 110, pad = 24;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "curve", role: "img", "aria-label": title });
  const high = top ?? Math.max(1e-9, ...values);
  const x = (k) => pad + ((width - pad - 6) * k) / Math.max(1, epochs - 1);
  const y = (v) => height - pad + 4 - ((height - pad - 8) * Math.min(v, high)) / high;
  root.append(svg("line", { x1: pad, y1: y(0), x2: width - 6, y2: y(0), class: "axis" }));
  root.append(svg("line", { x1: pad, y1: y(0), x2: pad, y2: y(high), class: "axis" }));
  const label = svg("text", { x: pad + 4, y: 12, class: "label" });
  const last = values.length ? values[values.length - 1] : null;
  label.textContent = `${title}${last === null ? "" : ": " + (top === 1 ? percent(last) : last.toFixed(4))}`;
  root.append(label);
  const scale = svg("text", { x: 2, y: y(high) + 8, class: "tick" });
  scale.textContent = top === 1 ? "1" : high.toPrecision(2);
  root.append(scale);
  const end = svg("text", { x: width - 30, y: height - 4, class: "tick" });
  end.textContent = `${epochs}`;
  root.append(end);
  if (values.length) {
    const points = values.map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    root.append(svg("polyline", { points, class: "line" }));
  }
  return root;
}

// Horizontal bars: rows of [label, share in 0..1, text shown after the bar].
export function bars(rows, className = "bars") {
  const table = el("div", { class: className });
  for (const [label, share, text] of rows) {
    const fill = el("span", { class: "fill" });
    fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
    table.append(el("div", { class: "bar-row" }, el("span", { class: "bar-label", text: label }),
      el("span", { class: "bar" }, fill), el("span", { class: "bar-value", text })));
  }
  return table;
}

// The accuracy histogram over seeds, the bin holding the tutorial's figure marked.
export function histogram(bins, tutorial) {
  const most = Math.max(1, ...bins.map((b) => b.count));
  const marked = bins.find((b) => (b.low === b.high ? tutorial >= 1 : tutorial >= b.low && tutorial < b.high));
  const rows = el("div", { class: "bars histogram" });
  for (const bin of bins) {
    const fill = el("span", { class: "fill" });
    fill.style.width = `${(bin.count / most) * 100}%`;
    const mark = bin === marked ? el("span", { class: "tutorial-mark", text: tr("◀ the tutorial: {accuracy}", { accuracy: percent(tutorial) }) }) : null;
    rows.append(el("div", { class: bin === marked ? "bar-row marked" : "bar-row" },
      el("span", { class: "bar-label", text: bin.label }), el("span", { class: "bar" }, fill),
      el("span", { class: "bar-value", text: `${bin.count}` }), mark));
  }
  return rows;
}

// Colour of a value: gates (0..1) and states (-1..1) on one diverging scale, white at 0.
function colour(v) {
  const t = Math.max(-1, Math.min(1, v));
  const fade = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

// One panel (a gate or a state) as a heatmap: rows units, columns steps. `warm` steps come first
// and are marked (the warm-up read before the typed text). Hover shows unit, step, value.
export function heatmap(name, steps, tooltip, warm = 0) {
  const units = steps.length ? steps[0][name].length : 0;
  const cell = Math.max(4, Math.min(14, Math.floor(220 / Math.max(1, units))));
  const wide = Math.max(10, Math.min(28, Math.floor(300 / Math.max(1, steps.length))));
  const left = 4, top = 14;
  const width = left + wide * steps.length + 2, height = top + cell * units + 16;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "heatmap", "data-panel": name });
  const title = svg("text", { x: left, y: 10, class: "label" });
  title.textContent = name;
  root.append(title);
  steps.forEach((step, t) => {
    step[name].forEach((v, u) => {
      root.append(svg("rect", { x: left + t * wide, y: top + u * cell, width: wide, height: cell, fill: colour(v) }));
    });
    const label = svg("text", { x: left + t * wide + wide / 2, y: height - 3, class: t < warm ? "tick warm" : "tick", "text-anchor": "middle" });
    label.textContent = step.input.length > 3 ? step.input.slice(0, 3) + "…" : step.input;
    root.append(label);
  });
  if (warm > 0 && warm < steps.length) {
    const x = left + warm * wide;
    root.append(svg("line", { x1: x, y1: top - 2, x2: x, y2: top + cell * units + 2, class: "warm-edge" }));
  }
  root.addEventListener("mousemove", (event) => {
    const box = root.getBoundingClientRect();
    const scale = width / box.width;
    const t = Math.floor(((event.clientX - box.left) * scale - left) / wide);
    const u = Math.floor(((event.clientY - box.top) * scale - top) / cell);
    if (t < 0 || t >= steps.length || u < 0 || u >= units) return tooltip(null);
    const where = t < warm ? tr(" (warm-up)") : "";
    const at = tr("{panel} · unit {unit} · step {step}", { panel: name, unit: u, step: t + 1 });
    tooltip(`${at} (${steps[t].input})${where} · ${steps[t][name][u].toFixed(4)}`, event);
  });
  root.addEventListener("mouseleave", () => tooltip(null));
  return root;
}
