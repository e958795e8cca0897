import swagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Scope } from './auth.js';
import { RateLimiter } from './rate-limit.js';
import { consoleRoutes } from './console-routes.js';
import { registerCors } from './cors.js';
import type { HttpContext } from './context.js';
import { eventsRoutes } from './events-routes.js';
import { evaluationsRoutes } from './evaluations-routes.js';
import { EVENT_MEDIA_TYPES } from './media-types.js';
import { clientErrorHandler } from './client-errors.js';
import { errorCode } from '../error-code.js';
import { completeOpenApi } from './openapi-document.js';
import { opsRoutes } from './ops-routes.js';
import { packageVersion } from '../version.js';
import { problem, sendProblem } from './problem.js';
import { readsRoutes } from './reads-routes.js';
import { streamRoutes } from './stream-routes.js';
import { webinarsRoutes } from './webinars-routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The token scope a route needs when tokens are configured. */
    scope?: Scope;
  }
  interface FastifyRequest {
    scopes?: Set<Scope>;
    /** The valid token's fingerprint: its rate-limit bucket. */
    tokenFingerprint?: string;
  }
}

/** How long a client may take; each one closes the connection of a slow or stalled client (slowloris). */
export interface HttpTimeouts {
  /** The whole request, headers and body, must arrive within this (408 and close beyond). */
  readonly requestMs: number;
  /** The request headers must arrive within this (408 and close beyond). */
  readonly headersMs: number;
  /** A connection with no traffic at all for this long is closed. */
  readonly idleMs: number;
  /** An idle keep-alive connection between two requests is closed after this. */
  readonly keepAliveMs: number;
  /** How often the request and headers timeouts are checked (Node's connectionsCheckingInterval). */
  readonly checkEveryMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  requestMs: 30_000,
  headersMs: 15_000,
  idleMs: 60_000,
  keepAliveMs: 75_000,
  checkEveryMs: 1_000,
};

export interface AppOptions {
  readonly logger?: FastifyServerOptions['logger'];
  readonly timeouts?: Partial<HttpTimeouts>;
}

/**
 * Errors that mean the store cannot take a write right now: PostgreSQL restarting, a connection lost, SQLite
 * busy; a full disk, a read-only or vanished file, an I/O error (SQLITE_FULL, SQLITE_READONLY*, SQLITE_IOERR*,
 * SQLITE_CANTOPEN; PostgreSQL class 53 resources, 25006 read-only). Nothing was committed and a retry later will
 * do, so they answer 503 rather than 500.
 */
function isStoreUnavailable(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  const message = error instanceof Error ? error.message : '';
  return (
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[1-3]|08\d{3}|53\d{3}|25006)$/.test(code) ||
    /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN)(_\w+)?$/.test(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  );
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

type QuerySchema = {
  properties?: Record<string, { type?: string; minimum?: number; maximum?: number } | undefined>;
};
const DIGITS = /^-?[0-9]+$/;
/** Digits beyond any bound of a query integer once leading zeros are dropped (2^53 has 16). */
const MAX_SIGNIFICANT_DIGITS = 20;

/** Why a query integer's raw text is refused, or undefined when the schema may coerce and bound-check it. */
function queryIntegerProblem(
  name: string,
  value: string,
  bounds: { minimum?: number; maximum?: number },
): string | undefined {
  if (!DIGITS.test(value)) return `querystring/${name} must be an integer in decimal digits`;
  const negative = value.startsWith('-');
  const significant = value.replace(/^-?0*/, '');
  if (significant.length <= MAX_SIGNIFICANT_DIGITS) return undefined;
  const bound = negative ? bounds.minimum : bounds.maximum;
  return `querystring/${name} is out of range${bound === undefined ? '' : ` (${negative ? 'at least' : 'at most'} ${bound})`}`;
}

/** The HTTP API of SPEC §7 as a Fastify instance; it opens no port (the caller listens or injects). */
export async function buildApp(ctx: HttpContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    logger: options.logger ?? false,
    // request.ip is the client's address only when the peer is a listed proxy; otherwise X-Forwarded-For is ignored.
    ...(ctx.trustedProxies !== undefined && ctx.trustedProxies.length > 0
      ? { trustProxy: [...ctx.trustedProxies] }
      : {}),
    bodyLimit: ctx.limits.bodyBytes,
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
    },
    // Answered by our own hook below instead, as problem+json with Retry-After.
    return503OnClosing: false,
    // Ids in paths may be 256 code points (SPEC §2): the router's default limit of 100 characters would answer 414
    // for a valid id; the routes' schemas bound them instead.
    routerOptions: { maxParamLength: 1024 },
    // The router's own errors (a path that is not valid percent-encoded UTF-8, a parameter over the limit) are
    // problem+json like every other error.
    frameworkErrors: (error, _request, reply) =>
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? sendProblem(
            reply,
            problem(414, 'URI_TOO_LONG', 'A path parameter is too long', {
              detail: 'a path parameter may have at most 1024 characters',
            }),
          )
        : sendProblem(
            reply,
            problem(400, 'BAD_URL', 'The URL is not valid', {
              detail: 'a path segment is not valid percent-encoded UTF-8',
            }),
          ),
    logController: new LogController({ disableRequestLogging: true }),
    // Timeouts and requests that are not HTTP: problem+json too (408 REQUEST_TIMEOUT, 431, 400 MALFORMED_HTTP).
    clientErrorHandler: clientErrorHandler(timeouts),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...EVENT_MEDIA_TYPES], { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'webinar-events',
        version: packageVersion(),
        description:
          'Canonical client webinar events: intake, attendance classification, post-webinar routing.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    // Routes that need a token scope say so (bearer); the rest are open (health, metrics, the contract documents).
    transform: ({ schema, url, route }) => ({
      schema: route.config?.scope === undefined ? schema : { ...schema, security: [{ bearer: [] }] },
      url,
    }),
    // The intake body and the problem documents: openapi-document.ts.
    transformObject: (documents) =>
      'openapiObject' in documents
        ? completeOpenApi(documents.openapiObject as Record<string, unknown>)
        : documents.swaggerObject,
  });

  // While shutting down, a request that still arrives (on a kept-alive connection) is told to go elsewhere.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  const refuseWhenClosing = (reply: FastifyReply): FastifyReply => {
    reply.header('retry-after', '1').header('connection', 'close');
    return sendProblem(
      reply,
      problem(503, 'SHUTTING_DOWN', 'The server is shutting down', {
        detail: 'nothing was read; retry after 1 s (another instance, or this one restarted)',
      }),
    );
  };

  // Before the auth hook: a 401 to an allowed origin carries the CORS headers too, so the page can read it.
  await registerCors(app, ctx.corsOrigins ?? []);

  const limiter =
    ctx.limits.requestsPerSecond !== undefined ? new RateLimiter(ctx.limits.requestsPerSecond) : undefined;
  /** 429 with Retry-After when `client`'s bucket is empty; undefined when the request may go on. */
  const rateLimited = (reply: FastifyReply, client: string): FastifyReply | undefined => {
    const wait = limiter?.take(client) ?? 0;
    if (wait <= 0) return undefined;
    reply.header('retry-after', String(Math.ceil(wait)));
    return sendProblem(
      reply,
      problem(429, 'RATE_LIMITED', 'Too many requests', { detail: `retry after ${Math.ceil(wait)} s` }),
    );
  };

  // One hook for every request (each hook costs): shutting down, then authentication. CORS preflights are
  // answered by the CORS plugin before it.
  app.addHook('onRequest', async (request, reply) => {
    if (closing) return refuseWhenClosing(reply);
    const scope = request.routeOptions.config.scope;
    if (scope === undefined || !ctx.auth.enabled) return;
    const token = bearer(request.headers.authorization);
    const { verdict, scopes, fingerprint } = ctx.auth.check(token, scope);
    if (verdict === 'unauthenticated') {
      // Wrong tokens count against their address: guessing is rate-limited too (the limiter below never sees
      // these requests).
      const limited = rateLimited(reply, `a:${request.ip}`);
      if (limited !== undefined) return limited;
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(
        reply,
        problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required', {
          detail:
            token === undefined
              ? 'send Authorization: Bearer <token>'
              : 'the token is not one of WEBINAR_EVENTS_TOKENS',
        }),
      );
    }
    if (verdict === 'forbidden') {
      return sendProblem(
        reply,
        problem(403, 'FORBIDDEN', `This token lacks the "${scope}" scope`, {
          detail: `this route needs a token with the "${scope}" scope (or "admin")`,
        }),
      );
    }
    request.scopes = scopes;
    request.tokenFingerprint = fingerprint;
  });

  if (limiter !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config.scope === undefined) return;
      const fingerprint = request.tokenFingerprint;
      return rateLimited(reply, fingerprint !== undefined ? `t:${fingerprint}` : `a:${request.ip}`);
    });
  }

  // Integers in a query string are decimal digits. The validator would coerce anything JavaScript's `==` takes for
  // a number: " " to 0 (a blank cursor would re-read the log from the start), "0x10" to 16, "1e3" to 1000, "1e309"
  // and "Infinity" to Infinity (which the store fails on). Checked on the raw text, before the schema coerces it.
  app.addHook('preValidation', async (request, reply) => {
    const query = request.query;
    const properties = (request.routeOptions.schema?.querystring as QuerySchema | undefined)?.properties;
    if (query === null || typeof query !== 'object' || properties === undefined) return;
    for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
      const property = properties[name];
      if (property?.type !== 'integer' || typeof value !== 'string') continue;
      const detail = queryIntegerProblem(name, value, property);
      if (detail === undefined) continue;
      return sendProblem(reply, problem(400, 'INVALID_REQUEST', 'The request is invalid', { detail }));
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.requestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    // A failure the error handler logged (with its error) is not logged again.
    if (reply.statusCode >= 500 && !logged.has(request))
      request.log.warn(
        { status: reply.statusCode, method: request.method, url: request.url },
        'request failed',
      );
  });
  const logged = new WeakSet<FastifyRequest>();

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendProblem(
        reply,
        problem(413, 'BODY_TOO_LARGE', 'The body is too large', {
          detail: `at most ${ctx.limits.bodyBytes} bytes`,
        }),
      );
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
      return sendProblem(
        reply,
        problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', {
          detail:
            request.routeOptions.url === '/v1/events'
              ? `send structured CloudEvents as one of: ${EVENT_MEDIA_TYPES.join(', ')}; binary mode is not supported`
              : `this route reads no body; send none, or one as one of: ${EVENT_MEDIA_TYPES.join(', ')}`,
        }),
      );
    }
    if (error.validation) {
      return sendProblem(
        reply,
        problem(400, 'INVALID_REQUEST', 'The request is invalid', { detail: error.message }),
      );
    }
    // The client went away while its body was being read (Fastify marks such reads 400): nothing to answer, and
    // nothing wrong with the store, whatever the socket error's code looks like.
    if (error.statusCode === 400 && (request.raw.destroyed || error.message === 'aborted')) {
      request.log.info({ method: request.method, url: request.url }, 'the client closed the request');
      return sendProblem(
        reply,
        problem(400, 'BAD_REQUEST', 'The request was not completed', {
          detail: 'the connection closed before the body was read',
        }),
      );
    }
    if (isStoreUnavailable(error)) {
      logged.add(request);
      request.log.warn({ err: error, method: request.method, url: request.url }, 'store unavailable');
      reply.header('retry-after', '1');
      return sendProblem(
        reply,
        problem(503, 'STORE_UNAVAILABLE', 'The store cannot take the request now', {
          detail: 'nothing was committed; retry after 1 s with the same ids',
        }),
      );
    }
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) {
      logged.add(request);
      request.log.error({ err: error, method: request.method, url: request.url }, 'internal error');
    }
    return sendProblem(
      reply,
      status === 500
        ? problem(500, 'INTERNAL', 'Internal error', {
            detail: 'the request was not completed; it is safe to retry',
          })
        : // Any other client error the framework raises keeps its status under a stable code of ours (its own
          // FST_ERR_* codes may change between versions); its message says what was wrong.
          problem(status, status === 400 ? 'INVALID_REQUEST' : 'CLIENT_ERROR', 'The request is invalid', {
            detail: error.message,
          }),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problem(404, 'NOT_FOUND', 'No such route', {
        detail: `${request.method} ${request.url.split('?')[0]}`,
      }),
    ),
  );

  eventsRoutes(app, ctx);
  webinarsRoutes(app, ctx);
  evaluationsRoutes(app, ctx);
  readsRoutes(app, ctx);
  opsRoutes(app, ctx);
  streamRoutes(app, ctx);
  consoleRoutes(app);
  app.get('/', { schema: { hide: true } }, async () => ({
    service: 'webinar-events',
    links: {
      openapi: '/v1/openapi.json',
      schema: '/v1/schema',
      asyncapi: '/v1/asyncapi',
      events: '/v1/events',
      stream: '/v1/stream',
      console: '/console',
    },
  }));
  await app.ready();
  return app;
}
