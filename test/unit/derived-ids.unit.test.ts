/**
 * The ids of derived events are pinned to literal values: a replay into an empty store must give the same ids
 * (SPEC §6), so a change in how they are derived would make every replayed log double its derived events. The
 * expected values were computed independently (Python's uuid.uuid5 with the service's namespace over the same
 * JSON names), not by the code under test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classificationId } from '../../src/attendance/classifier.js';
import { uuidv5 } from '../../src/contract/derived-ids.js';
import { routeId } from '../../src/routing/router.js';

describe('derived event ids are stable across versions (UUIDv5 in the service namespace)', () => {
  it('classification ids: lead × webinar × verdict', () => {
    assert.equal(classificationId('L-1', 'W-9', true), '7aaa1d96-eace-58f5-973e-dee38a5ae81e');
    assert.equal(classificationId('L-1', 'W-9', false), '6f98520b-222b-5983-a0de-09543da14da2');
  });

  it('route ids: one per classification', () => {
    assert.equal(routeId('7aaa1d96-eace-58f5-973e-dee38a5ae81e'), 'ce97a54d-4469-57c4-965a-b53ec674bee5');
    assert.equal(routeId('6f98520b-222b-5983-a0de-09543da14da2'), '10dc2cd5-36d4-5198-b2c7-4b5af39040e0');
  });

  it('are RFC 9562 version 5, variant 10', () => {
    for (const id of [uuidv5('a'), classificationId('L-2', 'W-1', true), routeId('x')]) {
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
