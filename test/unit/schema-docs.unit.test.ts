import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { contractJsonSchema, eventJsonSchema } from '../../src/contract/json-schema.js';
import { asyncApiDocument } from '../../src/contract/asyncapi.js';
import { CLIENT_EVENT_TYPES, EVENT_TYPES } from '../../src/contract/events.js';
import { isRfc3339Instant } from '../../src/contract/rfc3339.js';
import { judgeEvent } from '../../src/intake/envelope.js';
import { cloudEvent, payload, validEvent } from './examples.js';

/** The published schema, compiled the way a consumer would: Ajv 2020-12 with a date-time format. */
function compile(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339Instant });
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  return ajv.compile(schema);
}

const contract = compile(contractJsonSchema());

const classified = cloudEvent(
  'client_webinar_attendance_classified',
  { lead_id: 'L-1', webinar_id: 'W-9', attended: true, timestamp: '2026-11-26T12:00:00Z' },
  { source: 'webinar-events/attendance-classifier', causationid: 'e-1' },
);
const route = cloudEvent(
  'post_webinar_route',
  {
    status: 'attended',
    lead_id: 'L-1',
    webinar_id: 'W-9',
    attended: true,
    timestamp: '2026-11-26T12:00:00Z',
  },
  { source: 'webinar-events/post-webinar-routing', causationid: 'c-1' },
);

describe('SPEC §7 GET /v1/schema: the JSON Schema (2020-12) of every event, derived from the contract', () => {
  for (const type of CLIENT_EVENT_TYPES) {
    it(`${type}: the valid example validates, against the whole document and its own schema`, () => {
      const event = validEvent(type, { traceparent: 'abc' });
      assert.ok(contract(event), JSON.stringify(contract.errors));
      const own = compile(eventJsonSchema(type));
      assert.ok(own(event), JSON.stringify(own.errors));
    });
  }

  it('the service events validate with their service source and causationid', () => {
    assert.ok(contract(classified), JSON.stringify(contract.errors));
    assert.ok(contract(route), JSON.stringify(contract.errors));
  });

  it('an UNKNOWN_FIELD example is rejected by the schema as by the intake', () => {
    const event = cloudEvent('client_webinar_left', payload('client_webinar_left', { mood: 'fine' }));
    assert.equal(contract(event), false);
    assert.equal(compile(eventJsonSchema('client_webinar_left'))(event), false);
    assert.equal(judgeEvent(event).ok, false);
  });

  it('other contract violations are rejected by the schema too', () => {
    const violations = [
      cloudEvent('client_webinar_left', payload('client_webinar_left', { left_at: undefined })),
      cloudEvent('client_webinar_left', payload('client_webinar_left', { left_at: '2026-11-26T10:00:00' })),
      cloudEvent('client_webinar_entered', payload('client_webinar_entered', { lead_id: '😀'.repeat(257) })),
      cloudEvent('client_webinar_registered', payload('client_webinar_registered', { webinar_type: 'auto' })),
      validEvent('client_webinar_entered', { source: 'webinar-events/x' }),
      validEvent('client_webinar_entered', { position: 1 }),
      validEvent('client_webinar_entered', { 'Bad-Name': 1 }),
      validEvent('client_webinar_entered', { specversion: '0.3' }),
      validEvent('client_webinar_entered', { ext: { nested: true } }),
      cloudEvent('client_webinar_viewed', payload('client_webinar_entered')),
    ];
    for (const event of violations) {
      assert.equal(contract(event), false, JSON.stringify(event));
      assert.equal(judgeEvent(event).ok, false, JSON.stringify(event));
    }
  });

  it('the document names every event type once', () => {
    const doc = contractJsonSchema();
    assert.equal(doc['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(Object.keys(doc['$defs'] as object).toSorted(), [...EVENT_TYPES].toSorted());
    assert.equal((doc['oneOf'] as unknown[]).length, 7);
  });
});

describe('SPEC §8 GET /v1/asyncapi: AsyncAPI 3, subjects webinar.events.<type>', () => {
  const doc = asyncApiDocument();
  const channels = doc['channels'] as Record<string, { address: string; messages: Record<string, unknown> }>;

  it('is an AsyncAPI 3 document', () => {
    assert.match(String(doc['asyncapi']), /^3\./);
  });

  it('has a channel with address webinar.events.<type> for all 7 types', () => {
    const addresses = Object.values(channels).map((c) => c.address);
    assert.equal(EVENT_TYPES.length, 7);
    assert.deepEqual(addresses.toSorted(), EVENT_TYPES.map((t) => `webinar.events.${t}`).toSorted());
  });

  it('every channel message payload is the event schema, and validates the examples', () => {
    const messages = (doc['components'] as { messages: Record<string, { payload: Record<string, unknown> }> })
      .messages;
    for (const type of CLIENT_EVENT_TYPES) {
      const validate = compile(messages[type]!.payload);
      assert.ok(validate(validEvent(type)), `${type}: ${JSON.stringify(validate.errors)}`);
    }
    assert.ok(compile(messages['post_webinar_route']!.payload)(route));
  });
});
