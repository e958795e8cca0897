import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UUIDV7_PATTERN, createUuidV7, uuidv7, uuidv7Time } from '../../src/client/uuidv7.js';

describe('client UUIDv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10, lowercase hex', () => {
    for (let i = 0; i < 1000; i++) {
      const id = uuidv7();
      assert.match(id, UUIDV7_PATTERN);
      assert.equal(id.length, 36);
    }
  });

  it('encodes the millisecond timestamp in the first 48 bits', () => {
    const at = Date.UTC(2026, 10, 26, 10, 0, 0, 123);
    const id = createUuidV7({ now: () => at })();
    assert.equal(uuidv7Time(id), at);
    assert.equal(
      id.slice(0, 13),
      `${at.toString(16).padStart(12, '0').slice(0, 8)}-${at.toString(16).padStart(12, '0').slice(8)}`,
    );
    const before = Date.now();
    const now = uuidv7Time(uuidv7());
    assert.ok(now >= before - 1 && now <= Date.now() + 1);
  });

  it('is strictly increasing in string order, within one millisecond too', () => {
    const next = createUuidV7({ now: () => 1_700_000_000_000 });
    const ids = Array.from({ length: 10_000 }, () => next());
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, UUIDV7_PATTERN);
  });

  it('stays increasing when the clock steps back', () => {
    const clock = [5_000, 5_001, 4_000, 4_000, 5_001, 9_000];
    let i = 0;
    const next = createUuidV7({ now: () => clock[Math.min(i++, clock.length - 1)]! });
    const ids = clock.map(() => next());
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(uuidv7Time(ids[2]!), 5_001, 'a clock step back keeps the last timestamp');
    assert.equal(uuidv7Time(ids[5]!), 9_000);
  });

  it('borrows the next millisecond when the 12-bit counter runs out', () => {
    // random bytes of 0xff seed the counter at 0x7ff: 2048 ids fit in one ms, the next borrows ms + 1.
    const next = createUuidV7({ now: () => 1_000, random: (bytes) => bytes.fill(0xff) });
    const ids = Array.from({ length: 2050 }, () => next());
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(uuidv7Time(ids[2048]!), 1_000);
    assert.equal(uuidv7Time(ids[2049]!), 1_001);
    for (const id of ids) assert.match(id, UUIDV7_PATTERN);
  });

  it('keeps 62 random bits after the variant', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => uuidv7().slice(19)));
    assert.equal(tails.size, 1000);
  });
});
