import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { routeClassification, routeId } from '../../src/routing/router.js';
import { CLASSIFIER_SOURCE, ROUTER_SOURCE, type LogEvent } from '../../src/contract/log.js';
import { CLASSIFIED, ROUTE } from '../../src/contract/events.js';
import { payloadIssues } from '../../src/contract/payload-validator.js';

const classification = (id: string, attended: boolean): LogEvent => ({
  position: 7,
  source: CLASSIFIER_SOURCE,
  id,
  type: CLASSIFIED,
  data: { lead_id: 'L-1', webinar_id: 'W-9', attended, timestamp: '2026-11-26T12:00:00Z' },
});

describe('SPEC §5 each classification yields exactly one post_webinar_route', () => {
  it('attended=true ⇒ status attended, with the same payload', () => {
    const route = routeClassification(classification('c-1', true));
    assert.equal(route.type, ROUTE);
    assert.equal(route.source, ROUTER_SOURCE);
    assert.equal(route.specversion, '1.0');
    assert.deepEqual(route.data, {
      status: 'attended',
      lead_id: 'L-1',
      webinar_id: 'W-9',
      attended: true,
      timestamp: '2026-11-26T12:00:00Z',
    });
    assert.deepEqual(payloadIssues(ROUTE, route.data), [], 'a route matches its own contract');
  });

  it('attended=false ⇒ status not_attended, with the same payload', () => {
    const route = routeClassification(classification('c-2', false));
    assert.deepEqual(route.data, {
      status: 'not_attended',
      lead_id: 'L-1',
      webinar_id: 'W-9',
      attended: false,
      timestamp: '2026-11-26T12:00:00Z',
    });
  });

  it('causationid is the classification id', () => {
    assert.equal(routeClassification(classification('c-3', true)).causationid, 'c-3');
  });

  it('the id is deterministic from the classification id alone', () => {
    const a = routeClassification(classification('c-4', true));
    const b = routeClassification({ ...classification('c-4', true), position: 99 });
    assert.equal(a.id, b.id);
    assert.equal(a.id, routeId('c-4'));
    assert.notEqual(a.id, routeClassification(classification('c-5', true)).id);
    assert.notEqual(a.id, 'c-4', 'the route has its own id');
  });

  it('routing is pure: the classification is not changed', () => {
    const input = classification('c-6', true);
    const before = JSON.stringify(input);
    routeClassification(input);
    assert.equal(JSON.stringify(input), before);
  });
});
