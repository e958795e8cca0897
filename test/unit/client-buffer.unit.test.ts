import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBuffer } from '../../src/client/buffer.js';
import type { PreparedEvent } from '../../src/client/validate.js';

function event(id: string): PreparedEvent {
  const e = {
    specversion: '1.0',
    id,
    source: '/test',
    type: 'client_webinar_entered',
    time: '2026-11-26T10:00:00Z',
    data: { webinar_id: 'W', timestamp: '2026-11-26T10:00:00Z' },
  } as const;
  return { event: e, json: JSON.stringify(e) };
}

const ids = (items: readonly { event: { id: string } }[]) => items.map((q) => q.event.id);

describe('client buffer', () => {
  it('is FIFO and batches by count', () => {
    const buffer = new EventBuffer(10, 'throw');
    for (const id of ['a', 'b', 'c', 'd', 'e']) buffer.push(event(id));
    assert.equal(buffer.size, 5);
    assert.deepEqual(ids(buffer.take(2, Infinity)), ['a', 'b']);
    assert.deepEqual(ids(buffer.take(10, Infinity)), ['c', 'd', 'e']);
    assert.equal(buffer.size, 0);
    assert.equal(buffer.oldestSeq, Infinity);
  });

  it('batches by bytes, always taking at least one event', () => {
    const buffer = new EventBuffer(10, 'throw');
    for (const id of ['a', 'b', 'c']) buffer.push(event(id));
    const one = event('x').json.length;
    assert.deepEqual(ids(buffer.take(10, 2 * one + 3)), ['a', 'b']);
    assert.deepEqual(ids(buffer.take(10, 1)), ['c']);
  });

  it('drop-oldest: a full buffer lets the oldest waiting event go', () => {
    const buffer = new EventBuffer(3, 'drop-oldest');
    for (const id of ['a', 'b', 'c']) assert.deepEqual(buffer.push(event(id)), { queued: true, dropped: [] });
    const result = buffer.push(event('d'));
    assert.equal(result.queued, true);
    assert.deepEqual(ids(result.dropped), ['a']);
    assert.equal(buffer.size, 3);
    assert.deepEqual(ids(buffer.drain()), ['b', 'c', 'd']);
  });

  it('drop-newest: a full buffer refuses the new event', () => {
    const buffer = new EventBuffer(2, 'drop-newest');
    buffer.push(event('a'));
    buffer.push(event('b'));
    const result = buffer.push(event('c'));
    assert.equal(result.queued, false);
    assert.deepEqual(ids(result.dropped), ['c']);
    assert.deepEqual(ids(buffer.drain()), ['a', 'b']);
  });

  it('throw: a full buffer refuses the new event (the client throws)', () => {
    const buffer = new EventBuffer(1, 'throw');
    buffer.push(event('a'));
    const result = buffer.push(event('b'));
    assert.equal(result.queued, false);
    assert.deepEqual(ids(result.dropped), ['b']);
    assert.equal(buffer.size, 1);
  });

  it('numbers events in order, and stays bounded over a long run', () => {
    const buffer = new EventBuffer(100, 'drop-oldest');
    for (let i = 0; i < 10_000; i++) buffer.push(event(`e${i}`));
    assert.equal(buffer.size, 100);
    assert.equal(buffer.lastSeq, 10_000);
    assert.equal(buffer.oldestSeq, 9_901);
    assert.deepEqual(ids(buffer.take(1, Infinity)), ['e9900']);
  });

  it('refuses a capacity below 1', () => {
    assert.throws(() => new EventBuffer(0, 'throw'), RangeError);
  });
});
