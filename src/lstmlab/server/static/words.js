// The page's words in its language: the server's catalogs (/api/messages) map each English
// text to its translation; a text without one is shown as it is.
let words = {};

export function setWords(messages) {
  words = messages;
}

// `text` (the English) in the page's language, with {name} filled from `values`.
export const t = (text, values = {}) =>
  (words[text] ?? text).replace(/\{(\w+)\}/g, (all, name) => (name in values ? `${values[name]}` : all));
