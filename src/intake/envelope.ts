import {
  CLIENT_EVENT_TYPES,
  CONTEXT_ATTRIBUTES,
  RESERVED_EXTENSIONS,
  SERVICE_SOURCE_PREFIX,
  SERVICE_EVENT_TYPES,
  TEXT_MAX,
  escapeToken,
  isRfc3339Instant,
  payloadIssues,
  type ClientEventType,
  type Issue,
  type Payloads,
} from '../contract/index.js';
import { codePointLength } from '../contract/utf8.js';
import { isCleanText, isPlainlyValidEvent } from './envelope-fast-path.js';

/** Limits of the CloudEvents envelope (SPEC §2, and the decisions written in the README, "The envelope: CloudEvents 1.0"). */
export const ENVELOPE_LIMITS = {
  idMaxChars: 128,
  textMaxChars: TEXT_MAX,
  extensionValueMaxChars: 1024,
  extensionsMax: 32,
  dataschemaMaxChars: 2048,
} as const;

const RESERVED: ReadonlySet<string> = new Set(RESERVED_EXTENSIONS);
const CONTEXT: ReadonlySet<string> = new Set(CONTEXT_ATTRIBUTES);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const URI_WITH_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\p{Cc}\p{Cs}]*$/u;
const CLIENT_TYPES: ReadonlySet<string> = new Set(CLIENT_EVENT_TYPES);
const SERVICE_TYPES: ReadonlySet<string> = new Set(SERVICE_EVENT_TYPES);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export type CloudEventJson = Record<string, unknown> & {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
};

/** A client event that passed the envelope and the payload contract. */
export interface ClientEvent<T extends ClientEventType = ClientEventType> {
  readonly type: T;
  readonly id: string;
  readonly source: string;
  /** The `sessionid` extension (meaningful on `client_webinar_entered`). */
  readonly sessionid: string | undefined;
  readonly data: Payloads[T];
  /** The CloudEvent as submitted: attributes and extensions verbatim. */
  readonly envelope: CloudEventJson;
}
export type AnyClientEvent = { [T in ClientEventType]: ClientEvent<T> }[ClientEventType];

export type Judgement =
  | { readonly ok: true; readonly event: AnyClientEvent }
  | { readonly ok: false; readonly id: string | null; readonly errors: Issue[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function textProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > max && codePointLength(value) > max) return `must be at most ${max} characters`;
  if (!isCleanText(value, max)) return 'must not contain control characters or unpaired surrogates';
  return undefined;
}

function extensionProblem(value: unknown): string | undefined {
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
      ? undefined
      : 'must be a 32-bit integer (from -2147483648 to 2147483647) when it is a number';
  }
  if (typeof value === 'string') return textProblem(value, ENVELOPE_LIMITS.extensionValueMaxChars);
  return 'must be a string, a boolean or an integer';
}

/**
 * Judges one submitted value as a structured-mode CloudEvent carrying a canonical client webinar event:
 * the envelope (SPEC §2) and then the payload contract. Stateless; the emission rules come after.
 */
export function judgeEvent(input: unknown): Judgement {
  if (!isObject(input)) {
    return {
      ok: false,
      id: null,
      errors: [
        { code: 'INVALID_ENVELOPE', path: '', message: 'an event must be a JSON object (a CloudEvent)' },
      ],
    };
  }
  if (isPlainlyValidEvent(input)) {
    const sessionid = input['sessionid'];
    const event = {
      type: input['type'],
      id: input['id'],
      source: input['source'],
      sessionid: typeof sessionid === 'string' ? sessionid : undefined,
      data: input['data'],
      envelope: input,
    } as AnyClientEvent;
    return { ok: true, event };
  }
  const errors: Issue[] = [];
  const envelope = (code: 'INVALID_ENVELOPE', attribute: string, message: string): void => {
    errors.push({ code, path: `/${escapeToken(attribute)}`, message });
  };

  const { specversion, id, source, type, data } = input;
  if (specversion === undefined) envelope('INVALID_ENVELOPE', 'specversion', 'specversion is required');
  else if (specversion !== '1.0') envelope('INVALID_ENVELOPE', 'specversion', 'specversion must be "1.0"');

  if (id === undefined) envelope('INVALID_ENVELOPE', 'id', 'id is required');
  else {
    const problem = textProblem(id, ENVELOPE_LIMITS.idMaxChars);
    if (problem !== undefined) envelope('INVALID_ENVELOPE', 'id', `id ${problem}`);
  }

  if (source === undefined) envelope('INVALID_ENVELOPE', 'source', 'source is required');
  else {
    const problem = textProblem(source, ENVELOPE_LIMITS.textMaxChars);
    if (problem !== undefined) envelope('INVALID_ENVELOPE', 'source', `source ${problem}`);
    else if ((source as string).startsWith(SERVICE_SOURCE_PREFIX)) {
      envelope(
        'INVALID_ENVELOPE',
        'source',
        `sources starting with "${SERVICE_SOURCE_PREFIX}" are the service's own`,
      );
    }
  }

  let clientType: ClientEventType | undefined;
  if (type === undefined) envelope('INVALID_ENVELOPE', 'type', 'type is required');
  else if (typeof type !== 'string') envelope('INVALID_ENVELOPE', 'type', 'type must be a string');
  else if (CLIENT_TYPES.has(type)) clientType = type as ClientEventType;
  else if (SERVICE_TYPES.has(type)) {
    errors.push({
      code: 'RESERVED_EVENT',
      path: '/type',
      message: `${type} is emitted only by the service; clients cannot send it`,
    });
  } else {
    errors.push({
      code: 'UNKNOWN_EVENT',
      path: '/type',
      message: `"${type.slice(0, 80)}" is not a canonical client webinar event (${CLIENT_EVENT_TYPES.join(', ')})`,
    });
  }

  if (data === undefined) {
    envelope(
      'INVALID_ENVELOPE',
      'data',
      input['data_base64'] !== undefined
        ? 'data is required as a JSON object; data_base64 (binary data) is not supported'
        : 'data is required',
    );
  } else if (!isObject(data)) envelope('INVALID_ENVELOPE', 'data', 'data must be a JSON object');

  let extensions = 0;
  for (const name of Object.keys(input)) {
    if (CONTEXT.has(name)) continue;
    const value = input[name];
    if (!EXTENSION_NAME.test(name)) {
      envelope(
        'INVALID_ENVELOPE',
        name,
        name === 'data_base64'
          ? 'binary data (data_base64) is not supported; send data as a JSON object'
          : `${name.slice(0, 40)} is not a CloudEvents attribute, and extension names must match [a-z0-9]{1,20}`,
      );
    } else if (RESERVED.has(name)) {
      envelope('INVALID_ENVELOPE', name, `${name} is reserved: the service adds it to what it returns`);
    } else if (++extensions > ENVELOPE_LIMITS.extensionsMax) {
      envelope('INVALID_ENVELOPE', name, `at most ${ENVELOPE_LIMITS.extensionsMax} extension attributes`);
    } else if (name === 'sessionid') {
      const problem = textProblem(value, ENVELOPE_LIMITS.textMaxChars);
      if (problem !== undefined) envelope('INVALID_ENVELOPE', name, `sessionid ${problem}`);
    } else {
      const problem = extensionProblem(value);
      if (problem !== undefined) envelope('INVALID_ENVELOPE', name, `${name} ${problem}`);
    }
  }

  const { time, datacontenttype, dataschema, subject } = input;
  if (time !== undefined && (typeof time !== 'string' || !isRfc3339Instant(time))) {
    envelope('INVALID_ENVELOPE', 'time', 'time must be an RFC 3339 date-time with an explicit offset');
  }
  if (datacontenttype !== undefined && datacontenttype !== 'application/json') {
    envelope(
      'INVALID_ENVELOPE',
      'datacontenttype',
      'datacontenttype must be "application/json" when present',
    );
  }
  if (dataschema !== undefined) {
    if (typeof dataschema === 'string' && dataschema.length > ENVELOPE_LIMITS.dataschemaMaxChars) {
      envelope(
        'INVALID_ENVELOPE',
        'dataschema',
        `dataschema must be at most ${ENVELOPE_LIMITS.dataschemaMaxChars} characters`,
      );
    } else if (typeof dataschema !== 'string' || !URI_WITH_SCHEME.test(dataschema)) {
      envelope('INVALID_ENVELOPE', 'dataschema', 'dataschema must be an absolute URI');
    }
  }
  if (subject !== undefined) {
    const problem = textProblem(subject, ENVELOPE_LIMITS.textMaxChars);
    if (problem !== undefined) envelope('INVALID_ENVELOPE', 'subject', `subject ${problem}`);
  }

  if (clientType !== undefined && isObject(data)) {
    for (const issue of payloadIssues(clientType, data)) errors.push(issue);
    const sessionid = input['sessionid'];
    const sessionField = data['session_id'];
    if (typeof sessionid === 'string' && typeof sessionField === 'string' && sessionid !== sessionField) {
      envelope('INVALID_ENVELOPE', 'sessionid', 'sessionid contradicts data.session_id of the same event');
    }
  }

  if (errors.length > 0) return { ok: false, id: typeof id === 'string' ? id : null, errors };
  const sessionid = input['sessionid'];
  const event = {
    type: clientType!,
    id: id as string,
    source: source as string,
    sessionid: typeof sessionid === 'string' ? sessionid : undefined,
    data: data as Record<string, unknown>,
    envelope: input as CloudEventJson,
  } as AnyClientEvent;
  return { ok: true, event };
}
