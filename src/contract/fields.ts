import { Type, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox';

/** No C0/C1 control characters and no unpaired surrogates (the `u` flag makes the class count code points). */
export const TEXT_PATTERN = '^[^\\p{Cc}\\p{Cs}]*$';
export const TEXT_MAX = 256;
export const LEAVE_REASON_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
export const FORM_PAYLOAD_MAX_BYTES = 16 * 1024;
export const FORM_PAYLOAD_MAX_DEPTH = 64;

/** A contract string: 1–256 Unicode code points, no control characters. */
export function Text(description: string): TString {
  return Type.String({ minLength: 1, maxLength: TEXT_MAX, pattern: TEXT_PATTERN, description });
}

/** An RFC 3339 instant with an explicit offset (`Z` or `±hh:mm`). */
export function Instant(description: string): TString {
  return Type.String({ format: 'date-time', description });
}

export function StringEnum<const T extends readonly string[]>(
  values: T,
  description: string,
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
}

export const WEBINAR_TYPES = ['live', 'auto'] as const;
export type WebinarType = (typeof WEBINAR_TYPES)[number];

export const webinarType = (): TUnsafe<WebinarType> =>
  StringEnum(WEBINAR_TYPES, 'Type of the webinar: `live` (held at a time) or `auto` (automated, on demand).');

export const leadId = (): TString => Text('Identifier of the lead (the canonical identifier of the client).');
export const webinarId = (): TString => Text('Identifier of the webinar.');
export const sessionId = (): TString =>
  Text('Identifier of the participation session; links the left / completed / form events of one visit.');

/** Any JSON object; its size and depth are bounded by rules the schema cannot express (see FORM_PAYLOAD_*). */
export function JsonObject(description: string): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', description });
}

export type { TSchema };
