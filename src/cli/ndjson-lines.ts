import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** A line longer than this is judged without being held whole (SPEC: any line gets a verdict, never a crash). */
export const MAX_LINE_BYTES = 1024 * 1024;

export type InputLine =
  | { readonly line: number; readonly kind: 'text'; readonly text: string; readonly bytes: number }
  | { readonly line: number; readonly kind: 'oversized'; readonly bytes: number }
  | { readonly line: number; readonly kind: 'not-utf8'; readonly bytes: number };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function openInput(path: string): Readable {
  return path === '-' ? process.stdin : createReadStream(path);
}

/**
 * Splits a byte stream into numbered NDJSON lines (LF or CRLF). Blank lines are skipped but keep their numbers;
 * a line past MAX_LINE_BYTES is reported as oversized and not buffered; bytes that are not UTF-8 are reported.
 */
export async function* ndjsonLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let oversized = false;
  let line = 0;

  function finish(): InputLine | undefined {
    line++;
    const bytes = size;
    const whole = oversized ? undefined : parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    oversized = false;
    if (whole === undefined) return { line, kind: 'oversized', bytes };
    let end = whole.length;
    if (end > 0 && whole[end - 1] === 0x0d) end--;
    let text: string;
    try {
      text = decoder.decode(whole.subarray(0, end));
    } catch {
      return { line, kind: 'not-utf8', bytes };
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
        size += end - start;
        if (size > MAX_LINE_BYTES) oversized = true;
        if (!oversized) parts.push(buffer.subarray(start, end));
        else parts = [];
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
