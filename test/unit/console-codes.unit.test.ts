import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/contract/codes.js';

describe('console: the Rejections filter offers the contract error codes', () => {
  it('lists the same codes as src/contract/codes.ts', () => {
    const source = readFileSync('console/rejections.js', 'utf8');
    const list = /export const ERROR_CODES = \[([^\]]*)\]/.exec(source);
    assert.ok(list, 'console/rejections.js exports ERROR_CODES');
    const codes = [...list[1]!.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    assert.deepEqual(codes, Object.keys(ERROR_CODES));
  });
});
