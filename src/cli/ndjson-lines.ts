import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * A line longer than this is judged without being held whole (SPEC: any line gets a verdict, never a crash): only
 * its first MAX_LINE_BYTES bytes are kept, for the quarantine.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

export type InputLine =
  | { readonly line: number; readonly kind: 'text'; readonly text: string; readonly bytes: number }
  /** `raw`: the line's first MAX_LINE_BYTES bytes; `bytes`: its whole length. */
  | { readonly line: number; readonly kind: 'oversized'; readonly bytes: number; readonly raw: Buffer }
  /** `raw`: the line as read (without its LF), bytes that are not UTF-8 included. */
  | { readonly line: number; readonly kind: 'not-utf8'; readonly bytes: number; readonly raw: Buffer };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function openInput(path: string): Readable {
  return path === '-' ? process.stdin : createReadStream(path);
}

/**
 * Splits a byte stream into numbered NDJSON lines (LF or CRLF). Blank lines are skipped but keep their numbers;
 * a line past MAX_LINE_BYTES is reported as oversized with only its first MAX_LINE_BYTES bytes buffered; a line
 * that is not UTF-8 is reported with its bytes. Both keep raw bytes so the quarantine holds what was read.
 */
export async function* ndjsonLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let oversized = false;
  let line = 0;

  function finish(): InputLine | undefined {
    line++;
    const bytes = size;
    const kept = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const wasOversized = oversized;
    parts = [];
    size = 0;
    oversized = false;
    // A copy: the parts are views of the input's chunks.
    if (wasOversized) return { line, kind: 'oversized', bytes, raw: Buffer.from(kept) };
    const whole = kept;
    let end = whole.length;
    if (end > 0 && whole[end - 1] === 0x0d) end--;
    let text: string;
    try {
      text = decoder.decode(whole.subarray(0, end));
    } catch {
      return { line, kind: 'not-utf8', bytes, raw: Buffer.from(whole) };
    }
    if (text.trim() === '') return undefined;
    return { line, kind: 'text', text, bytes };
  }

  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start <= buffer.length) {
      const newline = buffer.indexOf(0x0a, start);
      const end = newline === -1 ? buffer.length : newline;
      if (end > start) {
        const piece = buffer.subarray(start, end);
        if (!oversized && size + piece.length > MAX_LINE_BYTES) {
          oversized = true;
          parts.push(piece.subarray(0, MAX_LINE_BYTES - size));
        } else if (!oversized) {
          parts.push(piece);
        }
        size += piece.length;
      }
      if (newline === -1) break;
      const done = finish();
      if (done !== undefined) yield done;
      start = newline + 1;
    }
  }
  if (size > 0 || oversized) {
    const done = finish();
    if (done !== undefined) yield done;
  }
}
