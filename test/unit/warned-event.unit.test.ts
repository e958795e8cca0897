import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { warnedEvent } from '../../src/http/warned-event.js';
import type { Warning } from '../../src/contract/index.js';

const event = { specversion: '1.0', id: 'e-1', source: '/room', type: 'client_webinar_entered', data: {} };
const warning: Warning = {
  code: 'NO_PRIOR_REGISTRATION',
  path: '/data/lead_id',
  message: 'no registration yet',
};

describe('timeline and stream: the service warnings under `warnings`', () => {
  it('adds the service warnings to the event when it has any', () => {
    assert.deepEqual(warnedEvent({ position: 1, event, warnings: [warning] }), {
      ...event,
      warnings: [warning],
    });
  });

  it('returns the event as stored when it has none', () => {
    assert.equal(warnedEvent({ position: 1, event, warnings: null }), event);
  });

  it('an event stored before `warnings` was reserved: its client value never passes as the service warnings', () => {
    const legacy = { ...event, warnings: 'hello' };
    assert.deepEqual(warnedEvent({ position: 1, event: legacy, warnings: null }), event);
    assert.deepEqual(warnedEvent({ position: 1, event: legacy, warnings: [warning] }), {
      ...event,
      warnings: [warning],
    });
    assert.equal(legacy.warnings, 'hello', 'the stored event is not modified');
  });
});
