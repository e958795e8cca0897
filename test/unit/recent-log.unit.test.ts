import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogEvent } from '../../src/contract/index.js';
import { RecentLog } from '../../src/pipeline/recent-log.js';

const event = (position: number): LogEvent => ({
  position,
  source: '/room',
  id: `e-${position}`,
  type: 'client_webinar_registered',
  data: { lead_id: `L-${position}`, webinar_id: 'W-1' },
});
const positions = (events: readonly LogEvent[]): number[] => events.map((e) => e.position);

describe('RecentLog', () => {
  it('gives the positions right after a checkpoint, up to the first one it does not hold', () => {
    const recent = new RecentLog();
    recent.add([1, 2, 3].map(event));
    recent.add([5, 6].map(event)); // 4 was appended by another process
    assert.deepEqual(positions(recent.take(0, 10)), [1, 2, 3]);
    assert.deepEqual(positions(recent.take(1, 10)), [2, 3]);
    assert.deepEqual(positions(recent.take(3, 10)), [], 'position 4 must be read from the log');
    assert.deepEqual(positions(recent.take(4, 10)), [5, 6]);
    assert.deepEqual(positions(recent.take(0, 2)), [1, 2], 'at most limit');
    assert.deepEqual(positions(recent.take(6, 10)), []);
  });

  it('takes events added out of order (commits resolve in any order)', () => {
    const recent = new RecentLog();
    recent.add([3, 4].map(event));
    recent.add([1, 2].map(event));
    assert.deepEqual(positions(recent.take(0, 10)), [1, 2, 3, 4]);
  });

  it('drops the oldest beyond its capacity', () => {
    const recent = new RecentLog(3);
    recent.add([1, 2, 3, 4, 5].map(event));
    assert.equal(recent.size, 3);
    assert.deepEqual(positions(recent.take(0, 10)), []);
    assert.deepEqual(positions(recent.take(2, 10)), [3, 4, 5]);
  });
});
