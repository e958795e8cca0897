import { isIP } from 'node:net';
import { settingList } from './setting-list.js';

/** Address ranges proxy-addr (Fastify's trustProxy) knows by name. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * The reverse proxies whose `X-Forwarded-For` is believed (WEBINAR_EVENTS_TRUST_PROXY, `--trust-proxy`):
 * comma-separated addresses or CIDR ranges of the proxies themselves (`10.0.0.5`, `10.0.0.0/8`, `::1`), or the
 * names `loopback`, `linklocal`, `uniquelocal`. Empty (the default): none; a request's address is its
 * connection's peer, and `X-Forwarded-*` headers are ignored (anyone could send them).
 *
 * A request's address matters for the per-address rate limit (requests without a token, wrong tokens) and the
 * `requester` of an evaluation. Behind a proxy that is not listed, every client has the
 * proxy's address and shares its bucket.
 *
 * No hop count and no "trust everything": a count cannot tell a proxy from a client that sends the header itself
 * (Fastify ignores counts for that reason), and trusting every peer lets any client pick its own address.
 */
export function parseTrustedProxies(text: string | undefined, name: string): readonly string[] {
  const items = settingList(text);
  for (const item of items) {
    if (!isProxyAddress(item)) {
      throw new Error(
        `${name}: "${item}" is not an address, a CIDR range or one of ${[...NAMED_RANGES].join(', ')} ` +
          '(list the reverse proxies in front of the service, e.g. 10.0.0.5,10.1.0.0/16)',
      );
    }
  }
  return [...new Set(items)];
}

function isProxyAddress(item: string): boolean {
  if (NAMED_RANGES.has(item)) return true;
  const slash = item.indexOf('/');
  const address = slash === -1 ? item : item.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = item.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
