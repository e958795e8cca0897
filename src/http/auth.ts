import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

interface TokenEntry {
  readonly scope: Scope;
  readonly digest: Buffer;
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** A stable, non-reversible name for a token (its rate-limit bucket): never the token itself. */
const fingerprintOf = (hashed: Buffer): string => hashed.toString('base64url').slice(0, 16);

/** Bearer tokens with scopes, from `scope:token,scope:token` (WEBINAR_EVENTS_TOKENS). `admin` may do everything. */
export class TokenAuthority {
  private constructor(private readonly entries: readonly TokenEntry[]) {}

  static parse(spec: string | undefined): TokenAuthority {
    const entries: TokenEntry[] = [];
    let n = 0;
    for (const part of (spec ?? '').split(',')) {
      const item = part.trim();
      if (item === '') continue;
      n++;
      const colon = item.indexOf(':');
      const scope = item.slice(0, colon);
      const token = item.slice(colon + 1);
      if (colon < 1 || !(SCOPES as readonly string[]).includes(scope)) {
        // Nothing of the entry is shown unless it is plainly a scope name: a typo ("read=…", a missing "ingest:")
        // must not put a token in a log.
        const what =
          colon < 1
            ? 'has no scope: prefix'
            : /^[a-z]{1,16}$/.test(scope)
              ? `has the unknown scope "${scope}"`
              : 'is not scope:token';
        throw new Error(
          `WEBINAR_EVENTS_TOKENS: entry ${n} ${what}; each entry is scope:token with a scope of ${SCOPES.join(', ')}`,
        );
      }
      if (token.length < 16)
        throw new Error(
          `WEBINAR_EVENTS_TOKENS: ${scope === 'ingest' || scope === 'admin' ? 'an' : 'a'} ${scope} token must be at least 16 characters`,
        );
      entries.push({ scope: scope as Scope, digest: digest(token) });
    }
    return new TokenAuthority(entries);
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The scopes a presented token's digest grants; every entry is compared, in constant time, whatever matches. */
  private scopesOf(presented: Buffer): Set<Scope> {
    const scopes = new Set<Scope>();
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) scopes.add(entry.scope);
    }
    return scopes;
  }

  /**
   * The verdict for a request needing `needed`, with what the request goes on with: the token's scopes and its
   * fingerprint (its rate-limit bucket). The token is hashed once.
   */
  check(token: string | undefined, needed: Scope): TokenCheck {
    if (!this.enabled) return { verdict: 'ok' };
    if (token === undefined) return { verdict: 'unauthenticated' };
    const hashed = digest(token);
    const scopes = this.scopesOf(hashed);
    if (scopes.size === 0) return { verdict: 'unauthenticated' };
    const verdict = scopes.has(needed) || scopes.has('admin') ? 'ok' : 'forbidden';
    return { verdict, scopes, fingerprint: fingerprintOf(hashed) };
  }
}

export interface TokenCheck {
  readonly verdict: 'ok' | 'unauthenticated' | 'forbidden';
  /** A valid token's scopes and fingerprint. */
  readonly scopes?: Set<Scope>;
  readonly fingerprint?: string;
}

export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}
