import type { FormatDefinition } from 'ajv';
import { isRfc3339Instant } from './rfc3339.js';

/**
 * How the payload validators are compiled (at build time, by scripts/generate-validators.ts): Ajv (JSON Schema
 * 2020-12) rather than TypeBox's own compiler, because Ajv counts string lengths in code points and runs patterns
 * in Unicode mode, as the published schema says.
 */
export const AJV_OPTIONS = {
  strict: true,
  strictRequired: false,
  unicodeRegExp: true,
} as const;

/** The formats the schemas use; the generated validators import this object. */
export const FORMATS: Record<string, FormatDefinition<string>> = {
  'date-time': { type: 'string', validate: isRfc3339Instant },
};
