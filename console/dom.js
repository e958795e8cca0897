/* global document */
// Small DOM helpers. Text from the server is only ever set as text (never parsed as HTML).

/** Creates an element: `attrs` sets properties (`class`, `dataset`, `on*` handlers, others as attributes). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Object && 'nodeType' in child ? child : String(child));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') el.textContent = value;
    else if (key === 'class') el.setAttribute('class', value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Short labels of the event types, for badges. */
export const TYPE_LABELS = {
  client_webinar_registered: 'registered',
  client_webinar_entered: 'entered',
  client_webinar_left: 'left',
  client_webinar_completed: 'completed',
  client_webinar_form_submitted: 'form submitted',
  client_webinar_attendance_classified: 'classified',
  post_webinar_route: 'route',
};
export const EVENT_TYPES = Object.keys(TYPE_LABELS);

/** A coloured badge of an event type (its colour comes from style.css, by class). */
export function typeBadge(type) {
  return h('span', { class: `badge t-${type}`, title: type, text: TYPE_LABELS[type] ?? type });
}

/** `2026-11-26T10:01:00.000Z` → `2026-11-26 10:01:00` (UTC, as stored). */
export function shortTime(value) {
  if (typeof value !== 'string') return '';
  return value.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, '');
}

/** A message line (info / error) to put in a view. */
export function note(text, kind = 'info') {
  return h('p', { class: `note ${kind}`, text });
}

/** Pretty JSON with syntax colours, as a <pre>. */
export function jsonBlock(value) {
  const pre = h('pre', { class: 'json' });
  const walk = (v, indent) => {
    const pad = '  '.repeat(indent);
    if (v === null || typeof v !== 'object') {
      const kind = v === null ? 'null' : typeof v;
      pre.append(h('span', { class: `j-${kind}`, text: JSON.stringify(v) }));
      return;
    }
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) {
      pre.append(open + close);
      return;
    }
    pre.append(`${open}\n`);
    entries.forEach(([key, item], index) => {
      pre.append(`${pad}  `);
      if (!Array.isArray(v)) pre.append(h('span', { class: 'j-key', text: JSON.stringify(key) }), ': ');
      walk(item, indent + 1);
      pre.append(index < entries.length - 1 ? ',\n' : '\n');
    });
    pre.append(`${pad}${close}`);
  };
  walk(value, 0);
  return pre;
}
