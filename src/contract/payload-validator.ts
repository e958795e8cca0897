import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Issue } from './codes.js';
import type { EventType } from './events.js';
import { FORM_PAYLOAD_MAX_BYTES, FORM_PAYLOAD_MAX_DEPTH, TEXT_MAX, TEXT_PATTERN } from './fields.js';
import { escapeToken } from './json-pointer.js';
import { VALIDATORS as EXPLAINING } from './payload-validators.explaining.generated.js';
import { VALIDATORS as FAST } from './payload-validators.fast.generated.js';
import { utf8Length } from './utf8.js';

/**
 * The validators of every payload of the contract, compiled from the schemas at build time
 * (scripts/generate-validators.ts, Ajv standalone code; options in ajv-setup.ts): nothing is compiled at run
 * time, so neither the service's start nor a browser page needs `new Function`.
 */
type Validators = { readonly [T in EventType]: ValidateFunction };

/** The boolean validators, stopping at the first error (the `validate-raw` baseline). */
export function compiledPayloadValidators(): Validators {
  return FAST;
}

/**
 * One walk over a form payload: -1 when it nests deeper than the limit; otherwise an upper bound of its
 * serialized size (every UTF-16 unit escaped as \uXXXX at worst), so the exact size is computed only near the
 * limit. Recursive without allocating: the depth limit bounds the recursion.
 */
function formPayloadBound(node: unknown, depth: number): number {
  if (typeof node === 'string') return 2 + 6 * node.length;
  if (node === null || typeof node !== 'object') return 25;
  if (depth > FORM_PAYLOAD_MAX_DEPTH) return -1;
  let maxBytes = 2;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child = formPayloadBound(node[i], depth + 1);
      if (child < 0) return -1;
      maxBytes += 1 + child;
    }
  } else {
    for (const key in node) {
      if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
      const child = formPayloadBound((node as Record<string, unknown>)[key], depth + 1);
      if (child < 0) return -1;
      maxBytes += 4 + 6 * key.length + child;
    }
  }
  return maxBytes;
}

/** Rules the JSON Schema cannot state: the size and depth of `form_payload`. */
function formPayloadIssues(data: Record<string, unknown>, base: string): Issue[] {
  const payload = data['form_payload'];
  if (payload === null || typeof payload !== 'object') return [];
  const path = `${base}/form_payload`;
  const bound = formPayloadBound(payload, 1);
  if (bound < 0) {
    return [
      {
        code: 'INVALID_FIELD',
        path,
        message: `must be nested at most ${FORM_PAYLOAD_MAX_DEPTH} levels deep`,
      },
    ];
  }
  if (bound <= FORM_PAYLOAD_MAX_BYTES) return [];
  const bytes = utf8Length(JSON.stringify(payload));
  if (bytes > FORM_PAYLOAD_MAX_BYTES) {
    return [
      {
        code: 'INVALID_FIELD',
        path,
        message: `must be at most ${FORM_PAYLOAD_MAX_BYTES} bytes serialized; it is ${bytes}`,
      },
    ];
  }
  return [];
}

const NO_ISSUES = Object.freeze([]) as unknown as Issue[];

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${params['type'] === 'object' ? 'an object' : `a ${String(params['type'])}`}`;
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${TEXT_MAX} characters`;
    case 'pattern':
      return params['pattern'] === TEXT_PATTERN
        ? 'must not contain control characters or unpaired surrogates'
        : `must match ${String(params['pattern'])}`;
    case 'format':
      return 'must be an RFC 3339 date-time with an explicit offset (Z or ±hh:mm), e.g. 2026-11-26T10:00:00Z';
    case 'enum':
      return `must be one of: ${(params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

function toIssues(errors: readonly ErrorObject[], data: Record<string, unknown>, base: string): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const push = (issue: Issue): void => {
    const key = `${issue.code} ${issue.path}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push(issue);
  };
  for (const error of errors) {
    const params = error.params as Record<string, string>;
    const at = base + error.instancePath;
    if (error.keyword === 'required') {
      const field = params['missingProperty'] ?? '';
      push({ code: 'MISSING_FIELD', path: `${at}/${escapeToken(field)}`, message: `${field} is required` });
    } else if (error.keyword === 'additionalProperties') {
      const field = params['additionalProperty'] ?? '';
      push({
        code: 'UNKNOWN_FIELD',
        path: `${at}/${escapeToken(field)}`,
        message: `${field} is not a field of this event`,
      });
    } else if (error.keyword === 'not' && error.schemaPath === '#/then/not') {
      push({
        code: 'INVALID_FIELD',
        path: `${base}/slot_id`,
        message: `slot_id is allowed only with webinar_type "live"; this webinar_type is "${String(data['webinar_type'])}"`,
      });
    } else if (error.keyword !== 'if') {
      push({ code: 'INVALID_FIELD', path: at, message: describe(error) });
    }
  }
  return issues;
}

/**
 * Judges `data` against the contract of `type`: [] when it conforms, else one issue per problem with a JSON
 * pointer under `base` (by default `/data`, the payload inside a CloudEvent).
 */
export function payloadIssues(type: EventType, data: Record<string, unknown>, base = '/data'): Issue[] {
  if (compiledPayloadValidators()[type](data)) {
    return type === 'client_webinar_form_submitted' ? formPayloadIssues(data, base) : NO_ISSUES;
  }
  // The same schema reporting every error, verbosely: run only once the boolean validator said no.
  const validate = EXPLAINING[type];
  validate(data);
  const issues = toIssues(validate.errors ?? [], data, base);
  if (type === 'client_webinar_form_submitted') issues.push(...formPayloadIssues(data, base));
  return issues.length > 0
    ? issues
    : [{ code: 'INVALID_FIELD', path: base, message: 'does not match the contract' }];
}
