import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, contentHash, storedContentHash } from '../../src/intake/content-hash.js';
import type { AnyClientEvent } from '../../src/intake/envelope.js';
import { MemoryIntakeState } from '../../src/intake/state.js';

/** The definition: keys sorted at every level, then JSON. The fast implementation must agree with it. */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

const event = (type: string, data: Record<string, unknown>, sessionid?: string): AnyClientEvent =>
  ({ type, id: 'e', source: '/s', sessionid, data, envelope: {} }) as unknown as AnyClientEvent;

describe('content hash (SPEC §3: what makes a re-send "the same event")', () => {
  it('canonicalJson equals sorted-keys JSON for any JSON value, keys in order or not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(canonicalJson(value), sortedJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('ignores key order at every depth', () => {
    const a = { b: 1, a: { d: [1, { y: 2, x: 3 }], c: null } };
    const b = { a: { c: null, d: [1, { x: 3, y: 2 }] }, b: 1 };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(canonicalJson(a), '{"a":{"c":null,"d":[1,{"x":3,"y":2}]},"b":1}');
  });

  it('keeps the hashes stored by earlier versions (pinned values)', () => {
    const form = {
      webinar_id: 'W-1',
      lead_id: 'L-1',
      form_id: 'post_webinar',
      submitted_at: '2026-11-27T11:00:00Z',
      form_payload: { z: [1, { b: 'é', a: null }], a: true },
    };
    assert.equal(
      contentHash(event('client_webinar_form_submitted', form)),
      '5YzM75hR_v3qDXbri3XXpCrx0DW4YAnLBrz4aSdHqf8',
    );
    const entered = {
      lead_id: 'L-1',
      webinar_id: 'W-1',
      session_id: 'S-1',
      entered_at: '2026-11-27T10:00:00Z',
    };
    assert.equal(
      contentHash(event('client_webinar_entered', entered, 'S-1')),
      'M9aSFUc_mYuN9LRq2nwom3y8kMOKXdMnJhPl18HhOlw',
    );
  });

  it('is the same worked out from the stored envelope, the event or a kept hash', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.option(fc.string(), { nil: undefined }),
        (data, sessionid) => {
          const accepted = event('client_webinar_left', data, sessionid);
          const stored = JSON.stringify({
            specversion: '1.0',
            id: 'e',
            type: accepted.type,
            data,
            sessionid,
          });
          const hash = contentHash(accepted);
          assert.equal(storedContentHash({ envelope: stored }), hash);
          assert.equal(storedContentHash({ event: accepted }), hash);
          assert.equal(storedContentHash({ hash: 'kept' }), 'kept');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a long-lived state (a dry run) keeps the hash of an accepted event, a batch keeps the event itself', () => {
    const accepted = event('client_webinar_left', { lead_id: 'L-1', webinar_id: 'W-1' });
    const facts = {};
    const dryRun = new MemoryIntakeState(true);
    dryRun.apply(accepted, facts, null);
    assert.deepEqual(dryRun.storedEvent('/s', 'e'), { hash: contentHash(accepted), position: null });
    const batch = new MemoryIntakeState();
    batch.apply(accepted, facts, 7);
    assert.deepEqual(batch.storedEvent('/s', 'e'), { event: accepted, position: 7 });
  });

  it('differs when type, data or sessionid differ', () => {
    const data = { lead_id: 'L-1', webinar_id: 'W-1', session_id: 'S-1', entered_at: '2026-11-27T10:00:00Z' };
    const base = contentHash(event('client_webinar_entered', data, 'S-1'));
    assert.notEqual(contentHash(event('client_webinar_entered', data)), base);
    assert.notEqual(contentHash(event('client_webinar_left', data, 'S-1')), base);
    assert.notEqual(contentHash(event('client_webinar_entered', { ...data, lead_id: 'L-2' }, 'S-1')), base);
  });
});
