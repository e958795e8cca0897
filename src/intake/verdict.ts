import type { Issue, Warning } from '../contract/index.js';

/** The one verdict every submitted event gets (SPEC §3). */
export type Verdict =
  | {
      readonly status: 'accepted';
      readonly id: string;
      readonly position: number | null;
      readonly warnings: Warning[];
    }
  | { readonly status: 'duplicate'; readonly id: string; readonly position: number | null }
  | { readonly status: 'rejected'; readonly id: string | null; readonly errors: Issue[] };

export type ParsedJson =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issue: Issue };

/** Parses one JSON text. JSON.parse keeps `__proto__` as an own key and never touches prototypes. */
export function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issue: { code: 'MALFORMED_JSON', path: '', message: `not JSON: ${detail.slice(0, 200)}` },
    };
  }
}
