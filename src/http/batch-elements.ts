const isJsonWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The text of each element of a JSON array, exactly as written (duplicate keys, number spellings and escapes
 * kept), so a rejected batch element is quarantined raw rather than re-serialized. `text` must already have
 * parsed as a JSON array; returns null if the scan does not find `count` elements (then the caller falls back to
 * re-serializing). One pass, run only for a batch that has a rejection.
 */
export function jsonArrayElements(text: string, count: number): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22 || c === 0x5b || c === 0x7b) {
      if (depth === 1 && start < 0) start = i;
      if (c === 0x22) inString = true;
      else depth++;
      continue;
    }
    if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) {
        if (start >= 0) out.push(text.slice(start, i).trimEnd());
        start = -1;
      }
      continue;
    }
    if (depth !== 1) continue;
    if (c === 0x2c) {
      out.push(text.slice(start, i).trimEnd());
      start = -1;
    } else if (start < 0 && !isJsonWhitespace(c)) {
      start = i;
    }
  }
  return out.length === count ? out : null;
}
