/**
 * How long and how much the JetStream stream keeps (WEBINAR_EVENTS_STREAM_MAX_AGE, WEBINAR_EVENTS_STREAM_MAX_BYTES).
 * Unset: the stream's own setting is left as it is (a new stream keeps everything). When a limit is reached,
 * JetStream discards the oldest messages; the log in the store keeps every event regardless.
 */
/** How long JetStream remembers message ids: a re-publish within it is dropped by the broker. */
export const DUPLICATE_WINDOW_NS = 15 * 60 * 1_000_000_000;

export interface StreamRetention {
  /** Nanoseconds; messages older than this are discarded. */
  readonly maxAgeNs?: number;
  /** Bytes; beyond this the oldest messages are discarded. */
  readonly maxBytes?: number;
}

const NS_PER: Record<string, number> = { s: 1e9, m: 60e9, h: 3600e9, d: 86_400e9 };
const BYTES_PER: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** `90s`, `15m`, `12h`, `7d` → nanoseconds. */
export function parseDuration(text: string, name: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (match === null || Number(match[1]) === 0) {
    throw new Error(`${name} must be a positive duration such as 90s, 15m, 12h or 7d, not "${text}"`);
  }
  return Number(match[1]) * NS_PER[match[2]!]!;
}

/** `1048576`, `512MiB`, `10GiB` (also `10G`, `10GB`: binary multiples) → bytes. */
export function parseBytes(text: string, name: string): number {
  const match = /^(\d{1,15})\s*(?:([kmgt])(?:i?b)?)?$/i.exec(text.trim());
  const bytes = match === null ? NaN : Number(match[1]) * BYTES_PER[(match[2] ?? '').toLowerCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`${name} must be a positive size such as 512MiB or 10GiB, not "${text}"`);
  }
  return bytes;
}

/** The retention asked for by the environment; the age must cover the duplicate window, as JetStream requires. */
export function streamRetention(env: NodeJS.ProcessEnv): StreamRetention {
  const age = env['WEBINAR_EVENTS_STREAM_MAX_AGE'];
  const bytes = env['WEBINAR_EVENTS_STREAM_MAX_BYTES'];
  const maxAgeNs =
    age === undefined || age === '' ? undefined : parseDuration(age, 'WEBINAR_EVENTS_STREAM_MAX_AGE');
  if (maxAgeNs !== undefined && maxAgeNs < DUPLICATE_WINDOW_NS) {
    throw new Error(
      `WEBINAR_EVENTS_STREAM_MAX_AGE must be at least the duplicate window (${DUPLICATE_WINDOW_NS / 60e9} minutes), not "${age}"`,
    );
  }
  const maxBytes =
    bytes === undefined || bytes === '' ? undefined : parseBytes(bytes, 'WEBINAR_EVENTS_STREAM_MAX_BYTES');
  return { ...(maxAgeNs !== undefined && { maxAgeNs }), ...(maxBytes !== undefined && { maxBytes }) };
}
