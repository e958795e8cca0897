import type { Verdict } from '../intake/index.js';
import { MAX_LINE_BYTES, type InputLine } from './ndjson-lines.js';

/** The verdict of a line that cannot even be parsed: too large to hold, or not UTF-8. */
export function unreadableLineVerdict(input: Exclude<InputLine, { kind: 'text' }>): Verdict {
  if (input.kind === 'oversized') {
    return {
      status: 'rejected',
      id: null,
      errors: [
        {
          code: 'INVALID_ENVELOPE',
          path: '',
          message: `the line is ${input.bytes} bytes; an event may be at most ${MAX_LINE_BYTES} bytes (the quarantine keeps its first ${MAX_LINE_BYTES})`,
        },
      ],
    };
  }
  return {
    status: 'rejected',
    id: null,
    errors: [{ code: 'MALFORMED_JSON', path: '', message: 'the line is not valid UTF-8' }],
  };
}
