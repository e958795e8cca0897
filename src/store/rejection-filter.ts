import { ERROR_CODES } from '../contract/index.js';
import type { RejectionFilter } from './port.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(ERROR_CODES));
const MAX_CODES = 32;

/**
 * A quarantine filter as a user writes it (`--code` / `?code=`: comma-separated error codes; `--origin` /
 * `?origin=`: an origin prefix), or what is wrong with it. A code that no rejection can carry is refused rather
 * than matched against nothing: a typo (`form_already_submitted`) would otherwise look like an empty quarantine.
 */
export function parseRejectionFilter(
  code: string | undefined,
  origin: string | undefined,
): { filter: RejectionFilter } | { problem: string } {
  const filter: { codes?: string[]; originPrefix?: string } = {};
  if (code !== undefined) {
    const codes = code.split(',').map((c) => c.trim());
    if (codes.some((c) => c === ''))
      return { problem: 'code: a comma-separated list of error codes, none empty' };
    if (codes.length > MAX_CODES) return { problem: `code: at most ${MAX_CODES} codes` };
    const unknown = codes.filter((c) => !KNOWN_CODES.has(c));
    if (unknown.length > 0) {
      const first = unknown[0]!.slice(0, 64);
      const upper = first.toUpperCase();
      const hint = KNOWN_CODES.has(upper) ? ` (codes are upper case: ${upper})` : '';
      return {
        problem: `code: "${first}" is not an error code${hint}; the codes are ${[...KNOWN_CODES].join(', ')}`,
      };
    }
    filter.codes = codes;
  }
  if (origin !== undefined) {
    // No control characters: no origin has them, and PostgreSQL refuses a NUL in text.
    if (origin === '' || origin.length > 4096 || hasControlCharacter(origin)) {
      return { problem: 'origin: a prefix of 1 to 4096 characters without control characters' };
    }
    filter.originPrefix = origin;
  }
  return { filter };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
