import { buildApp } from '../http/app.js';
import { STORE_FLAGS, STORE_FLAGS_HELP, assertSafeListen, openRuntime, resolveConfig } from '../config.js';
import { EXIT, parseCommandArgs } from './args.js';
import type { Output } from './output.js';

export const serveHelp = `Usage: webinar-events serve [options]

Runs the HTTP API (SPEC §7) with the classifier and router in-process. What 'npm start' runs.

Options:
  --host HOST        address to listen on (HOST; default 127.0.0.1). Without WEBINAR_EVENTS_TOKENS only
                     loopback addresses are allowed.
  --port PORT        port (PORT; default 8080; 0 picks a free one)
  --no-processors    API only: do not run the classifier and router in this process
  --cors-origins LIST
                     origins whose pages may call the API from a browser, comma-separated
                     (https://webinar.example.com,http://localhost:3000) or * for any
                     (WEBINAR_EVENTS_CORS_ORIGINS; default: none, no CORS headers)
  --trust-proxy LIST reverse proxies in front of the service, comma-separated addresses or CIDR ranges
                     (10.0.0.5,10.1.0.0/16) or loopback/linklocal/uniquelocal: a request from one of them
                     has the address its X-Forwarded-For names, for the rate limit and evaluations
                     (WEBINAR_EVENTS_TRUST_PROXY; default: none, X-Forwarded-For is ignored)
${STORE_FLAGS_HELP}

Environment: WEBINAR_EVENTS_TOKENS="ingest:TOKEN,read:TOKEN,admin:TOKEN" turns on bearer-token auth;
WEBINAR_EVENTS_RATE_LIMIT=N limits each token (or address) to N requests a second (429 beyond);
WEBINAR_EVENTS_BODY_MEMORY_MB=N (default 256) bounds the request bodies in flight (503 beyond);
with --nats, WEBINAR_EVENTS_STREAM_MAX_AGE (e.g. 7d) and _MAX_BYTES (e.g. 10GiB) set the stream's retention;
WEBINAR_EVENTS_SHUTDOWN_GRACE_S (default 10): at SIGTERM/SIGINT, open requests get this long before their
connections are closed (a second signal closes them at once); LOG_LEVEL (default info) sets the JSON log level.`;

export async function serveCommand(args: readonly string[], out: Output): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      ...STORE_FLAGS,
      host: { type: 'string' },
      port: { type: 'string' },
      'no-processors': { type: 'boolean' },
      'cors-origins': { type: 'string' },
      'trust-proxy': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values['help']) {
    out.stdout(serveHelp);
    return EXIT.ok;
  }
  const config = resolveConfig(values);
  assertSafeListen(config);
  const logger = { level: config.logLevel, redact: ['req.headers.authorization'] };
  const sink: { log?: { error(obj: object, msg: string): void } } = {};
  const runtime = await openRuntime(config, (error) =>
    sink.log?.error({ err: error }, 'processor run failed; retrying'),
  );
  const app = await buildApp(runtime.httpContext(), { logger });
  sink.log = app.log;
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(
    {
      address,
      store: config.postgres !== undefined ? 'postgres' : `sqlite:${config.db}`,
      processors: config.processors,
      auth: config.tokens !== undefined,
      trustedProxies: config.trustedProxies,
    },
    'webinar-events is serving',
  );
  runtime.processors?.wake();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const timers: NodeJS.Timeout[] = [];
    // Past the grace period (or at a second signal), connections still open are closed: a slow client can no
    // longer hold the shutdown (Node stops its request timeouts once the server is closing). Their requests were
    // not acknowledged. A request whose connection was cut may never finish in Fastify's eyes, so the HTTP side is
    // given up on a second after the cut, and the store is closed cleanly either way.
    let giveUp: (() => void) | undefined;
    const cutConnections = (why: string): void => {
      app.log.warn({ why }, 'closing the connections still open');
      app.server.closeAllConnections();
      timers.push(setTimeout(() => giveUp?.(), 1000));
    };
    const stop = (signal: string): void => {
      if (stopping) {
        cutConnections(`a second ${signal}`);
        return;
      }
      stopping = true;
      app.log.info({ signal, grace_s: config.shutdownGraceMs / 1000 }, 'shutting down');
      timers.push(
        setTimeout(() => cutConnections('the shutdown grace period is over'), config.shutdownGraceMs),
      );
      const httpClosed = new Promise<void>((done) => {
        giveUp = done;
        app.close().then(done, (error: unknown) => {
          app.log.error({ err: error }, 'closing the HTTP server failed');
          done();
        });
      });
      void httpClosed
        .then(() => runtime.close())
        .then(
          () => {
            for (const timer of timers) clearTimeout(timer);
            app.log.info('stopped');
            resolve(EXIT.ok);
          },
          (error: unknown) => {
            for (const timer of timers) clearTimeout(timer);
            app.log.error({ err: error }, 'shutdown failed');
            resolve(EXIT.failure);
          },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
