/**
 * The composition root: configuration (flag, else environment variable, else default) and the runtime built
 * from it. Adapters are picked here and nowhere else.
 */
import type { EventBus } from './bus/port.js';
import { streamRetention, type StreamRetention } from './bus/retention.js';
import { UsageError } from './cli/args.js';
import { loadFormsCatalog } from './cli/forms-option.js';
import { LOG_LEVELS } from './cli/json-log.js';
import type { DerivedEvent } from './contract/index.js';
import { TokenAuthority, isLoopback } from './http/auth.js';
import { parseCorsOrigins } from './http/cors.js';
import { parseTrustedProxies } from './http/trust-proxy.js';
import { errorCode } from './error-code.js';
import { DEFAULT_HTTP_LIMITS, type HttpContext, type ReadinessCheck } from './http/context.js';
import { LogNotifier } from './http/log-notifier.js';
import { WriteHealth } from './http/write-health.js';
import { ServiceMetrics } from './http/metrics.js';
import type { FormsCatalog, JudgedInput, Verdict } from './intake/index.js';
import {
  GroupCommit,
  InProcessProcessors,
  RecentLog,
  drainRouter,
  evaluateAttendance,
  ingestBatch,
} from './pipeline/index.js';
import type { EventStore } from './store/port.js';
import { SqliteEventStore, type SqliteDurability } from './store/sqlite/sqlite-store.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly db: string;
  readonly postgres: string | undefined;
  readonly nats: string | undefined;
  readonly forms: string | undefined;
  readonly tokens: string | undefined;
  readonly processors: boolean;
  readonly durability: SqliteDurability;
  readonly logLevel: string;
  /** WEBINAR_EVENTS_RATE_LIMIT: requests a second per token (or address); unset: no limit. */
  readonly rateLimit: number | undefined;
  /** WEBINAR_EVENTS_STREAM_MAX_AGE / _MAX_BYTES: the JetStream stream's limits, when set. */
  readonly streamRetention: StreamRetention;
  /** WEBINAR_EVENTS_BODY_MEMORY_MB: bytes of request bodies in flight at once (503 beyond). */
  readonly bodyMemoryBytes: number;
  /** WEBINAR_EVENTS_CORS_ORIGINS / --cors-origins: origins whose pages may call the API; empty: no CORS. */
  readonly corsOrigins: readonly string[];
  /** WEBINAR_EVENTS_TRUST_PROXY / --trust-proxy: reverse proxies whose X-Forwarded-For is believed; empty: none. */
  readonly trustedProxies: readonly string[];
  /** How long `serve` waits for open requests at SIGTERM before closing their connections. */
  readonly shutdownGraceMs: number;
}

export const DEFAULT_DB = './data/webinar-events.sqlite';

export type Flags = Record<string, string | boolean | undefined>;

const str = (v: string | boolean | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/**
 * WEBINAR_EVENTS_TOKENS, checked at start: malformed entries are errors (TokenAuthority.parse), and so is a value
 * that is set but names no token (",", " "): it would leave the API open while looking configured. Unset or empty
 * means no tokens (an open API, loopback only).
 */
function tokensSetting(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (!TokenAuthority.parse(text).enabled) {
    throw new Error('WEBINAR_EVENTS_TOKENS is set but names no token: give scope:token entries, or unset it');
  }
  return text;
}

function logLevel(text: string | undefined): string {
  if (text === undefined) return 'info';
  if (!LOG_LEVELS.includes(text))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${text}"`);
  return text;
}

/**
 * A PostgreSQL connection string as pg takes it: a postgres:// or postgresql:// URL (or socket:, or a socket
 * directory). Anything else would reach pg as a host name ("getaddrinfo ENOTFOUND base"). The value is not
 * echoed: it may hold a password.
 */
function postgresUrl(text: string | undefined): string | undefined {
  if (text === undefined || text.startsWith('/')) return text;
  // The scheme only: pg parses the rest itself, including forms WHATWG URL refuses (postgres://u:p@/db?host=/run).
  if (!/^(postgres|postgresql|socket):/i.test(text))
    throw new Error('--postgres (DATABASE_URL) must be a URL such as postgres://user@host:5432/database');
  return text;
}

function positiveNumber(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, not "${text}"`);
  return value;
}

/** At least one largest body must fit, or no large request could ever be taken. */
function bodyMemoryBytes(text: string | undefined): number {
  const name = 'WEBINAR_EVENTS_BODY_MEMORY_MB';
  const mb = positiveNumber(text, name);
  if (mb === undefined) return DEFAULT_HTTP_LIMITS.bodyMemoryBytes;
  const bytes = Math.floor(mb * 1024 * 1024);
  if (bytes < DEFAULT_HTTP_LIMITS.bodyBytes) {
    throw new Error(
      `${name} must be at least ${DEFAULT_HTTP_LIMITS.bodyBytes / 2 ** 20} (the largest body), not "${text}"`,
    );
  }
  return bytes;
}

/**
 * The PostgreSQL store's URL, if it is the store. The two store flags name different stores: both at once are a
 * mistake, and an explicit `--db` means SQLite even where DATABASE_URL is set (as on a host of the scale runtime,
 * when copying a store to a file with `replay`), not a flag silently overridden by the environment.
 */
function storeUrl(flags: Flags, env: NodeJS.ProcessEnv): string | undefined {
  const flag = str(flags['postgres']);
  if (flag !== undefined && str(flags['db']) !== undefined) {
    throw new Error('--db and --postgres name two stores: give one of them');
  }
  return postgresUrl(flag ?? (str(flags['db']) !== undefined ? undefined : str(env['DATABASE_URL'])));
}

/**
 * The configuration: each setting from its flag, else its environment variable, else its default. A variable set
 * to the empty string counts as unset (`WEBINAR_EVENTS_DB=` in a compose file must not mean an anonymous
 * temporary database, nor `PORT=` a random port).
 */
export function resolveConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return configFrom(flags, env);
  } catch (error) {
    // A setting's value is wrong: a usage error (exit 2 and a pointer to --help), like a wrong flag.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function configFrom(flags: Flags, env: NodeJS.ProcessEnv): Config {
  const portText = str(flags['port']) ?? str(env['PORT']) ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`port must be 0–65535, not "${portText}"`);
  const durability = str(flags['durability']) ?? str(env['WEBINAR_EVENTS_DURABILITY']) ?? 'full';
  if (durability !== 'full' && durability !== 'normal') throw new Error(`durability must be full or normal`);
  const corsFlag = str(flags['cors-origins']);
  const proxyFlag = str(flags['trust-proxy']);
  return {
    host: str(flags['host']) ?? str(env['HOST']) ?? '127.0.0.1',
    port,
    db: str(flags['db']) ?? str(env['WEBINAR_EVENTS_DB']) ?? DEFAULT_DB,
    postgres: storeUrl(flags, env),
    nats: str(flags['nats']) ?? str(env['NATS_URL']),
    forms: str(flags['forms']) ?? str(env['WEBINAR_EVENTS_FORMS']),
    tokens: tokensSetting(env['WEBINAR_EVENTS_TOKENS']),
    processors: flags['no-processors'] !== true,
    durability,
    logLevel: logLevel(str(env['LOG_LEVEL'])),
    rateLimit: positiveNumber(env['WEBINAR_EVENTS_RATE_LIMIT'], 'WEBINAR_EVENTS_RATE_LIMIT'),
    bodyMemoryBytes: bodyMemoryBytes(env['WEBINAR_EVENTS_BODY_MEMORY_MB']),
    streamRetention: streamRetention(env),
    shutdownGraceMs:
      (positiveNumber(env['WEBINAR_EVENTS_SHUTDOWN_GRACE_S'], 'WEBINAR_EVENTS_SHUTDOWN_GRACE_S') ?? 10) *
      1000,
    corsOrigins:
      corsFlag !== undefined
        ? parseCorsOrigins(corsFlag, '--cors-origins')
        : parseCorsOrigins(env['WEBINAR_EVENTS_CORS_ORIGINS'], 'WEBINAR_EVENTS_CORS_ORIGINS'),
    trustedProxies:
      proxyFlag !== undefined
        ? parseTrustedProxies(proxyFlag, '--trust-proxy')
        : parseTrustedProxies(env['WEBINAR_EVENTS_TRUST_PROXY'], 'WEBINAR_EVENTS_TRUST_PROXY'),
  };
}

/** Flags shared by every command that opens the store. */
export const STORE_FLAGS = {
  db: { type: 'string' },
  postgres: { type: 'string' },
  nats: { type: 'string' },
  forms: { type: 'string' },
  durability: { type: 'string' },
} as const;

export const STORE_FLAGS_HELP = `Store options (flag, else environment variable, else default):
  --db FILE          SQLite file (WEBINAR_EVENTS_DB; default ${DEFAULT_DB})
  --postgres URL     PostgreSQL store instead of SQLite (DATABASE_URL; an explicit --db overrides it)
  --nats URL         NATS JetStream bus (NATS_URL)
  --forms FILE       forms catalog {"forms":{"<id>":{"resubmittable":true}}} (WEBINAR_EVENTS_FORMS)
  --durability MODE  full (default: survives power loss) or normal (SQLite: survives a crash only)
                     (WEBINAR_EVENTS_DURABILITY)`;

export interface Runtime {
  readonly config: Config;
  readonly store: EventStore;
  readonly forms: FormsCatalog;
  readonly processors: InProcessProcessors | null;
  readonly bus: EventBus | null;
  readonly metrics: ServiceMetrics;
  readonly readiness: ReadinessCheck[];
  evaluate(webinarId: string, requester: string): Promise<DerivedEvent[]>;
  /** The intake pipeline as this runtime runs it; verdicts come after the commit. */
  ingest(inputs: JudgedInput[], origin: string): Promise<Verdict[]>;
  httpContext(): HttpContext;
  close(): Promise<void>;
}

// The PostgreSQL and NATS adapters (and their client libraries) are loaded only when configured: the embedded
// default starts without them.
export async function openStore(config: Config): Promise<EventStore> {
  if (config.postgres !== undefined) {
    const { PostgresEventStore } = await import('./store/postgres/postgres-store.js');
    return PostgresEventStore.open(config.postgres);
  }
  return new SqliteEventStore(config.db, { durability: config.durability });
}

/** Server URLs (comma-separated, as NATS takes them) as they may be shown: user and password replaced by `***`. */
export function shownUrl(urls: string): string {
  // Up to the last @ of each URL: a password may hold a raw / or @.
  return urls
    .split(',')
    .map((url) => url.replace(/^(\s*[a-z][\w+.-]*:\/\/).*@/i, '$1***@'))
    .join(',');
}

export async function openBus(config: Config): Promise<EventBus | null> {
  if (config.nats === undefined) return null;
  const { NatsEventBus } = await import('./bus/nats-bus.js');
  try {
    return await NatsEventBus.open(config.nats, 'webinar-events', config.streamRetention);
  } catch (error) {
    throw new Error(`cannot reach NATS at ${shownUrl(config.nats)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function openRuntime(
  config: Config,
  onProcessorError?: (error: unknown) => void,
): Promise<Runtime> {
  const forms = loadFormsCatalog(config.forms, {});
  const store = await openStore(config);
  let bus: EventBus | null;
  try {
    bus = await openBus(config);
  } catch (error) {
    await store.close();
    throw error;
  }
  const metrics = new ServiceMetrics();
  const logNotifier = new LogNotifier();
  // One process owning an SQLite file classifies and routes inside the intake transaction: one commit per
  // batch. Elsewhere processors take their own locks (PostgreSQL) or run as workers; those of this process take
  // what it committed lately from memory instead of reading the log back.
  const inlineProcessors = config.processors && store.kind === 'sqlite';
  const recent = config.processors && !inlineProcessors ? new RecentLog() : undefined;
  const processors = config.processors
    ? new InProcessProcessors(
        store,
        {
          derived: (events) => {
            metrics.countDerived(events);
            logNotifier.notify();
          },
          failed: (error) => {
            metrics.processorFailures.inc();
            onProcessorError?.(error);
          },
        },
        { classifier: true, router: true, bus, recent },
      )
    : null;
  const writes = new WriteHealth();
  const readiness: ReadinessCheck[] = [
    { name: 'store', check: () => store.ping() },
    { name: 'store_writes', check: () => writes.check() },
  ];
  if (bus !== null) readiness.push({ name: 'bus', check: () => bus.ping() });
  const evaluate = async (webinarId: string, requester: string): Promise<DerivedEvent[]> => {
    const classified = await evaluateAttendance(store, { webinarId, requester });
    metrics.countDerived(classified);
    if (processors !== null) {
      const routes = await drainRouter(store);
      metrics.countDerived(routes);
      processors.wake();
    }
    if (classified.length > 0) logNotifier.notify();
    return classified;
  };
  const ingestNow = async (inputs: JudgedInput[], origin: string): Promise<Verdict[]> => {
    let verdicts: Verdict[];
    try {
      verdicts = await ingestBatch(store, inputs, {
        forms,
        origin,
        inlineProcessors,
        recent,
        onDerived: (events) => metrics.countDerived(events),
      });
    } catch (error) {
      writes.failed(error);
      metrics.storeWriteFailures.inc({ code: errorCode(error) ?? 'unknown' });
      throw error;
    }
    writes.succeeded();
    metrics.countVerdicts(verdicts);
    if (verdicts.some((v) => v.status === 'accepted')) {
      // Inline processing already classified and routed this batch; the others still need waking, and so
      // does the relay when there is a bus.
      if (!inlineProcessors || bus !== null) processors?.wake();
      logNotifier.notify();
    }
    return verdicts;
  };
  // Concurrent requests share transactions (and fsyncs) instead of queueing one commit each.
  const groupCommit = new GroupCommit(ingestNow);
  const ingest = (inputs: JudgedInput[], origin: string): Promise<Verdict[]> =>
    groupCommit.submit(inputs, origin);
  const auth = TokenAuthority.parse(config.tokens);
  return {
    config,
    store,
    forms,
    processors,
    bus,
    metrics,
    readiness,
    evaluate,
    ingest,
    httpContext: () => ({
      store,
      forms,
      auth,
      metrics,
      limits: {
        ...DEFAULT_HTTP_LIMITS,
        requestsPerSecond: config.rateLimit,
        bodyMemoryBytes: config.bodyMemoryBytes,
      },
      corsOrigins: config.corsOrigins,
      trustedProxies: config.trustedProxies,
      ingest,
      pendingEvents: () => groupCommit.pending,
      evaluate,
      readiness,
      logNotifier,
    }),
    async close() {
      await processors?.close();
      await bus?.close();
      await store.close();
    },
  };
}

/** Without tokens the API is open, so it may listen on loopback only. */
export function assertSafeListen(config: Config): void {
  // Judged by what the tokens parse to, as the API's authentication is, not by whether the setting is present.
  if (!TokenAuthority.parse(config.tokens).enabled && !isLoopback(config.host)) {
    throw new UsageError(
      `refusing to listen on ${config.host} without WEBINAR_EVENTS_TOKENS: without tokens the API is open, so it ` +
        'binds only to loopback (127.0.0.1, ::1). Set WEBINAR_EVENTS_TOKENS="ingest:…,read:…,admin:…" or use --host 127.0.0.1.',
    );
  }
}
