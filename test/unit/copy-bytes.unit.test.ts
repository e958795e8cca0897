import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyBytes, copyField } from '../../src/store/postgres/copy.js';

/** The text format written the plain way: each field escaped, tabs between, a newline after each row. */
const reference = (rows: ReadonlyArray<readonly unknown[]>): Buffer =>
  Buffer.from(rows.map((row) => row.map(copyField).join('\t') + '\n').join(''), 'utf8');

describe('PostgreSQL COPY text as bytes', () => {
  it('is the text format in UTF-8, whatever the characters (the buffer is sized for the worst case)', () => {
    const rows = [
      [1, 'plain', null, true],
      [2, 'tab\there\nnew line\\ and \r', undefined, false],
      [3, '€'.repeat(1000), 'д'.repeat(500), '𝄞'.repeat(300)],
      [4, '\ud800 lone surrogate', '', 'x'],
      [5, '{"json":"with \\"quotes\\" and \\u0000"}', 'ascii', 42],
    ];
    assert.deepEqual(copyBytes(rows), reference(rows));
    assert.deepEqual(copyBytes([]), Buffer.alloc(0));
  });
});
