import type { FastifyInstance } from 'fastify';
import { settingList } from './setting-list.js';

/**
 * The origins whose pages may call the API from a browser (WEBINAR_EVENTS_CORS_ORIGINS, `--cors-origins`):
 * comma-separated exact origins (`https://webinar.example.com`, `http://localhost:3000`), or `*` alone for any.
 * Empty: no CORS headers at all, the default (same-origin pages, or a reverse proxy, as before).
 */
export function parseCorsOrigins(text: string | undefined, name: string): readonly string[] {
  const items = settingList(text);
  if (items.includes('*')) {
    if (items.length > 1)
      throw new Error(`${name}: "*" allows every origin and cannot be combined with others`);
    return ['*'];
  }
  for (const item of items) {
    let origin: string | undefined;
    try {
      const url = new URL(item);
      if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
    } catch {
      // not a URL
    }
    if (origin !== item) {
      throw new Error(
        `${name}: "${item}" is not an origin (scheme://host[:port], no path or trailing slash, e.g. https://webinar.example.com)`,
      );
    }
  }
  return [...new Set(items)];
}

/** Request headers a page may send, and response headers it may read. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'last-event-id'];
const EXPOSED_HEADERS = ['retry-after', 'www-authenticate'];

/**
 * CORS for the listed origins: preflights answered (204, cached 10 minutes), and every answer to an allowed
 * origin, errors included, carries `Access-Control-Allow-Origin`, so a page can read a 401, 422 or 503 and its
 * Retry-After. Tokens travel in `Authorization`, never in cookies: no credentials mode. Registered before the
 * auth hook; the preflight route has no scope, so it needs no token.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  // Loaded only when CORS is on: config.ts (every command) imports this module for parseCorsOrigins.
  const { default: cors } = await import('@fastify/cors');
  const listed = new Set(origins);
  await app.register(cors, {
    // A function, not the list: with a list the plugin still sends the other CORS headers (and answers the
    // preflight) to an origin it does not allow; `false` leaves such a request without any.
    origin:
      origins[0] === '*'
        ? '*'
        : (origin: string | undefined, done: (error: Error | null, allow: string | false) => void) =>
            done(null, origin !== undefined && listed.has(origin) ? origin : false),
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    credentials: false,
    hideOptionsRoute: true,
  });
}
