import { createHash } from 'node:crypto';
import type { AnyClientEvent } from './envelope.js';

/** JSON with object keys sorted, so that two equal JSON values serialize alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    parts.push(`${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * What makes two submissions of one `source`+`id` "the same event" (SPEC §3): `type`, `data` compared as JSON
 * values, and `sessionid`. `time` and other attributes may differ on a retry.
 */
export function contentHash(event: AnyClientEvent): string {
  const content = canonicalJson([event.type, event.data, event.sessionid ?? null]);
  return createHash('sha256').update(content).digest('base64url');
}
