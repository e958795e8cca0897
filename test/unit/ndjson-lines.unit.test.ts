import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LINE_BYTES, ndjsonLines, type InputLine } from '../../src/cli/ndjson-lines.js';

async function linesOf(chunks: ReadonlyArray<Buffer | string>): Promise<InputLine[]> {
  const out: InputLine[] = [];
  async function* source(): AsyncGenerator<Buffer | string> {
    yield* chunks;
  }
  for await (const line of ndjsonLines(source())) out.push(line);
  return out;
}

/** Splits `bytes` into chunks of `size`, as a stream would deliver them. */
const chunked = (bytes: Buffer, size: number): Buffer[] => {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
};

describe('NDJSON lines: numbered, split on LF or CRLF, whatever the chunking', () => {
  it('numbers lines from 1, skips blank ones without renumbering, drops a CR before the LF', async () => {
    const input = Buffer.from('{"a":1}\r\n\n   \n{"b":2}\n{"c":3}');
    for (const size of [1, 2, 3, 7, 1000]) {
      const lines = await linesOf(chunked(input, size));
      assert.deepEqual(
        lines.map((l) => (l.kind === 'text' ? [l.line, l.text] : [l.line, l.kind])),
        [
          [1, '{"a":1}'],
          [4, '{"b":2}'],
          [5, '{"c":3}'],
        ],
        `chunks of ${size}`,
      );
    }
  });

  it('a line that is not UTF-8 comes with its bytes as read, so the quarantine can keep them', async () => {
    const bad = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const lines = await linesOf([
      Buffer.concat([Buffer.from('{"ok":1}\n'), bad, Buffer.from('\n{"ok":2}\n')]),
    ]);
    assert.equal(lines.length, 3);
    const line = lines[1]!;
    assert.equal(line.kind, 'not-utf8');
    assert.equal(line.line, 2);
    assert.ok(line.kind === 'not-utf8' && line.raw.equals(bad));
    assert.equal(line.bytes, 4);
    assert.equal(lines[2]!.kind, 'text');
  });

  it('a line over MAX_LINE_BYTES keeps its first MAX_LINE_BYTES bytes and its whole length, and the next line is read', async () => {
    const long = Buffer.alloc(MAX_LINE_BYTES + 12345, 0x61);
    long[0] = 0x5b; // '['
    const input = Buffer.concat([long, Buffer.from('\n{"after":true}\n')]);
    for (const size of [65536, 100_000, MAX_LINE_BYTES + 1]) {
      const lines = await linesOf(chunked(input, size));
      assert.equal(lines.length, 2, `chunks of ${size}`);
      const first = lines[0]!;
      assert.equal(first.kind, 'oversized');
      assert.equal(first.bytes, MAX_LINE_BYTES + 12345);
      assert.ok(first.kind === 'oversized' && first.raw.equals(long.subarray(0, MAX_LINE_BYTES)));
      assert.deepEqual(lines[1], { line: 2, kind: 'text', text: '{"after":true}', bytes: 14 });
    }
  });

  it('a line of exactly MAX_LINE_BYTES is a text line', async () => {
    const exact = `"${'x'.repeat(MAX_LINE_BYTES - 2)}"`;
    const lines = await linesOf([exact.slice(0, 1000), exact.slice(1000), '\n']);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.kind, 'text');
  });
});
