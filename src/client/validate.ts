import type { Issue } from '../contract/codes.js';
import { escapeToken } from '../contract/json-pointer.js';
// The server's own envelope + payload validator. Imported directly: src/intake/index.ts pulls node:crypto.
import { judgeEvent } from '../intake/envelope.js';
import { ContractViolation } from './errors.js';
import type { AnyClientCloudEvent } from './types.js';

/** An event ready to be sent: validated, and serialized once (every retry sends these very bytes). */
export interface PreparedEvent {
  readonly event: AnyClientCloudEvent;
  readonly json: string;
}

/** Errors of `judgeEvent` for a value: [] when the server would accept it by envelope and contract. */
export function validateEvent(value: unknown): Issue[] {
  const judgement = judgeEvent(value);
  return judgement.ok ? [] : judgement.errors;
}

function serializationIssue(event: Record<string, unknown>): Issue {
  const data = event['data'];
  if (data !== null && typeof data === 'object') {
    for (const [field, value] of Object.entries(data)) {
      try {
        JSON.stringify(value);
      } catch (error) {
        return {
          code: 'INVALID_FIELD',
          path: `/data/${escapeToken(field)}`,
          message: `is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    }
  }
  return { code: 'INVALID_ENVELOPE', path: '', message: 'the event is not JSON-serializable' };
}

/**
 * Serializes a CloudEvent and judges what will go on the wire (after JSON, so `undefined` fields vanish and
 * the caller may mutate its objects afterwards), with the server's validator. Throws `ContractViolation`.
 */
export function prepareEvent(event: Record<string, unknown>): PreparedEvent {
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch {
    throw new ContractViolation(
      [serializationIssue(event)],
      typeof event['id'] === 'string' ? event['id'] : null,
    );
  }
  const wire = JSON.parse(json) as unknown;
  const judgement = judgeEvent(wire);
  if (!judgement.ok) throw new ContractViolation(judgement.errors, judgement.id);
  return { event: wire as AnyClientCloudEvent, json };
}
