// DOM building without innerHTML: every string becomes a text node or an attribute value.

/**
 * @typedef {string|number|Node|null|undefined|false} Child
 * @typedef {Child|Child[]|Child[][]} Children
 * @typedef {Record<string, unknown>} Attrs
 */

/**
 * Creates an element. Attributes: `class`, `text`, `on<event>` handlers, booleans
 * (true = present), `dataset`/`style` objects, anything else via setAttribute. Properties
 * such as `value` and `checked` are set as properties.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs|null} [attrs]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'class') el.className = String(v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'indeterminate') /** @type {any} */ (el)[k] = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {Children[]} children */
export function append(parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? /** @type {Node} */ (c) : document.createTextNode(String(c)));
  }
  return parent;
}

/** Replaces all children. @param {Node} parent @param {...Children} children */
export function replace(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  return append(parent, children);
}

let idSeq = 0;
/** A unique id for label/aria wiring. @param {string} prefix */
export function uid(prefix) {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

/** SVG element (namespace-aware). @param {string} tag @param {Record<string, string|number>} [attrs] */
export function svg(tag, attrs = {}) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
