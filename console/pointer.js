// Where a JSON pointer (RFC 6901) lands in a JSON text: a small scanner that records the character span of every
// value (and of its member name), so a rejection's raw input can be shown as received with the error's place marked.
import { h } from './dom.js';

const escapeToken = (token) => String(token).replace(/~/g, '~0').replace(/\//g, '~1');
const LITERAL = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * Map pointer → {start, end, keyStart?, keyEnd?} for every value of `text`. Scans as far as the text is JSON:
 * for a broken text the spans found before the break are returned (`complete` false).
 */
export function jsonSpans(text) {
  const spans = new Map();
  let i = 0;
  const fail = () => {
    throw new SyntaxError(`not JSON at ${i}`);
  };
  const ws = () => {
    WHITESPACE.lastIndex = i;
    WHITESPACE.exec(text);
    i = WHITESPACE.lastIndex;
  };
  const string = () => {
    if (text[i] !== '"') fail();
    const start = i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') return JSON.parse(text.slice(start, ++i));
      else i++;
    }
    return fail();
  };
  const value = (pointer, key, depth) => {
    if (depth > 200) fail();
    ws();
    const start = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      const object = c === '{';
      i++;
      ws();
      if (text[i] === (object ? '}' : ']')) i++;
      else {
        for (let index = 0; ; index++) {
          ws();
          let member = null;
          let name = index;
          if (object) {
            const keyStart = i;
            name = string();
            member = { keyStart, keyEnd: i };
            ws();
            if (text[i] !== ':') fail();
            i++;
          }
          value(`${pointer}/${escapeToken(name)}`, member, depth + 1);
          ws();
          if (text[i] === ',') i++;
          else if (text[i] === (object ? '}' : ']')) {
            i++;
            break;
          } else fail();
        }
      }
    } else if (c === '"') string();
    else {
      LITERAL.lastIndex = i;
      const match = LITERAL.exec(text);
      if (match === null) fail();
      i = LITERAL.lastIndex;
    }
    spans.set(pointer, { start, end: i, ...(key ?? {}) });
  };
  let complete = true;
  try {
    value('', null, 0);
    ws();
    if (i !== text.length) fail();
  } catch {
    complete = false;
  }
  return { spans, complete };
}

/** The tokens of a pointer, unescaped. */
export function pointerTokens(pointer) {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Where `pointer` is in `text`: `{ranges:[[start,end,class]], missing}`. When it points at nothing (a missing field),
 * its nearest existing parent is marked and `missing` names what is absent there.
 */
export function locate(text, pointer) {
  const { spans } = jsonSpans(text);
  let at = pointer ?? '';
  const absent = [];
  while (!spans.has(at) && at !== '') {
    const cut = at.lastIndexOf('/');
    absent.unshift(at.slice(cut + 1));
    at = at.slice(0, cut);
  }
  const span = spans.get(at);
  if (span === undefined) return { ranges: [], missing: null };
  if (absent.length === 0) {
    const ranges = [];
    if (span.keyStart !== undefined) ranges.push([span.keyStart, span.keyEnd, 'hl-key']);
    ranges.push([span.start, span.end, 'hl']);
    return { ranges, missing: null };
  }
  // Absent: mark the parent's name (or its opening bracket when it has none).
  const range =
    span.keyStart !== undefined
      ? [span.keyStart, span.keyEnd, 'hl-missing']
      : [span.start, span.start + 1, 'hl-missing'];
  return { ranges: [range], missing: { parent: at, name: pointerTokens(`/${absent.join('/')}`).join('/') } };
}

/** `text` as a <pre>, with the place of `pointer` marked (or of `{offset}`: one character, or the end). */
export function highlighted(text, pointer) {
  let found = { ranges: [], missing: null };
  if (typeof pointer === 'string') found = locate(text, pointer);
  else if (pointer?.offset !== undefined) {
    const offset = Math.min(pointer.offset, text.length);
    found.ranges = [[offset, Math.min(offset + 1, text.length), 'hl-missing']];
  }
  const { ranges, missing } = found;
  const pre = h('pre', { class: 'raw' });
  let at = 0;
  for (const [start, end, kind] of ranges) {
    if (start < at) continue;
    // An empty range (the text ended too early) is shown as a caret.
    const marked = end > start ? text.slice(start, end) : '▌';
    pre.append(text.slice(at, start), h('mark', { class: kind, text: marked, title: `character ${start}` }));
    at = end;
  }
  pre.append(text.slice(at));
  return { pre, missing };
}
