import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JudgedInput, Verdict } from '../../src/intake/index.js';
import { GroupCommit } from '../../src/pipeline/group-commit.js';

const input = (id: string): JudgedInput => ({
  raw: id,
  rawEncoding: 'utf8',
  judgement: { ok: false, id, errors: [] },
});
const verdictsOf = (inputs: JudgedInput[]): Verdict[] =>
  inputs.map((i) => ({ status: 'duplicate', id: i.raw, position: null }));

describe('group commit', () => {
  it('concurrent submissions share one commit and each gets its own verdicts in order', async () => {
    const commits: string[][] = [];
    const group = new GroupCommit(async (inputs) => {
      commits.push(inputs.map((i) => i.raw));
      return verdictsOf(inputs);
    });
    const [a, b, c] = await Promise.all([
      group.submit([input('a1'), input('a2')], 'http'),
      group.submit([input('b1')], 'http'),
      group.submit([input('c1'), input('c2'), input('c3')], 'http'),
    ]);
    assert.deepEqual(commits, [['a1', 'a2', 'b1', 'c1', 'c2', 'c3']]);
    assert.deepEqual(
      a!.map((v) => v.id),
      ['a1', 'a2'],
    );
    assert.deepEqual(
      b!.map((v) => v.id),
      ['b1'],
    );
    assert.deepEqual(
      c!.map((v) => v.id),
      ['c1', 'c2', 'c3'],
    );
    assert.equal(group.pending, 0);
  });

  it('never mixes origins and respects the size of a transaction', async () => {
    const commits: Array<[string, number]> = [];
    const group = new GroupCommit(async (inputs, origin) => {
      commits.push([origin, inputs.length]);
      return verdictsOf(inputs);
    }, 3);
    await Promise.all([
      group.submit([input('1'), input('2')], 'http'),
      group.submit([input('3')], 'ingest'),
      group.submit([input('4'), input('5')], 'http'),
    ]);
    assert.deepEqual(commits, [
      ['http', 2],
      ['ingest', 1],
      ['http', 2],
    ]);
  });

  it('a failed commit fails every request of its group, and the next group still commits', async () => {
    let calls = 0;
    const group = new GroupCommit(async (inputs) => {
      if (++calls === 1) throw new Error('disk full');
      return verdictsOf(inputs);
    });
    const results = await Promise.allSettled([
      group.submit([input('x')], 'http'),
      group.submit([input('y')], 'http'),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.status)),
      ['disk full', 'disk full'],
    );
    assert.equal((await group.submit([input('z')], 'http'))[0]!.id, 'z');
    assert.equal(group.pending, 0);
  });
});
