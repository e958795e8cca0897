import {
  CLIENT_EVENT_TYPES,
  RESERVED_EXTENSIONS,
  isRfc3339Instant,
  payloadIssues,
  type ClientEventType,
} from '../contract/index.js';
import { codePointLength } from '../contract/utf8.js';

const CLIENT_TYPES: ReadonlySet<string> = new Set(CLIENT_EVENT_TYPES);
const RESERVED: ReadonlySet<string> = new Set(RESERVED_EXTENSIONS);

/**
 * Text of the contract: non-empty, at most `max` code points, no C0/C1 control characters, no unpaired
 * surrogates. The same rule as the schema's pattern `^[^\p{Cc}\p{Cs}]*$`, as a loop (no regex on the hot path).
 */
export function isCleanText(value: string, max: number): boolean {
  const n = value.length;
  if (n === 0 || (n > max && codePointLength(value) > max)) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff || i + 1 >= n) return false;
      const d = value.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return false;
      i++;
    }
  }
  return true;
}

function isExtensionName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > 20) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/**
 * The common case of judgeEvent without building any error: true when `input` is certainly a valid client event
 * (every envelope rule and the payload contract hold). False means "look closer", never "invalid" by itself.
 */
export function isPlainlyValidEvent(input: Record<string, unknown>): boolean {
  if (input['specversion'] !== '1.0') return false;
  const id = input['id'];
  const source = input['source'];
  const type = input['type'];
  const data = input['data'];
  if (typeof id !== 'string' || !isCleanText(id, 128)) return false;
  if (typeof source !== 'string' || !isCleanText(source, 256) || source.startsWith('webinar-events/'))
    return false;
  if (typeof type !== 'string' || !CLIENT_TYPES.has(type)) return false;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  let extensions = 0;
  for (const key in input) {
    if (!Object.prototype.hasOwnProperty.call(input, key)) continue;
    switch (key) {
      case 'specversion':
      case 'id':
      case 'source':
      case 'type':
      case 'data':
        continue;
      case 'time': {
        const time = input[key];
        if (typeof time !== 'string' || !isRfc3339Instant(time)) return false;
        continue;
      }
      case 'sessionid': {
        const sessionid = input[key];
        if (typeof sessionid !== 'string' || !isCleanText(sessionid, 256)) return false;
        const field = (data as Record<string, unknown>)['session_id'];
        if (typeof field === 'string' && field !== sessionid) return false;
        if (++extensions > 32) return false;
        continue;
      }
      default: {
        // Anything rarer (datacontenttype, dataschema, subject, other extensions) takes the detailed path.
        if (!isExtensionName(key) || RESERVED.has(key)) return false;
        if (key === 'datacontenttype' || key === 'dataschema' || key === 'subject') return false;
        const value = input[key];
        if (typeof value === 'string') {
          if (!isCleanText(value, 1024)) return false;
        } else if (typeof value === 'number') {
          if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) return false;
        } else if (typeof value !== 'boolean') return false;
        if (++extensions > 32) return false;
      }
    }
  }
  return payloadIssues(type as ClientEventType, data as Record<string, unknown>).length === 0;
}
