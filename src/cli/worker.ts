import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBus } from '../bus/port.js';
import { STORE_FLAGS, STORE_FLAGS_HELP, openBus, openStore, resolveConfig } from '../config.js';
import { errorCode } from '../error-code.js';
import { drainClassifier, drainRelay, drainRouter } from '../pipeline/index.js';
import type { EventStore } from '../store/port.js';
import { jsonLog, type JsonLog } from './json-log.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import type { Output } from './output.js';

export const workerHelp = `Usage: webinar-events worker <classifier|router|relay> [--poll-ms N] [--once] [store options]

Runs one processor as its own process, for the scale runtime (serve --no-processors for the API):
  classifier  reads client events after its checkpoint and appends attendance classifications
  router      turns each classification into exactly one post_webinar_route
  relay       publishes every stored event to NATS JetStream (needs --nats / NATS_URL)
Several copies of a worker may run at once: classifiers and routers take turns, and no derived event is ever
doubled; relay copies take turns too (a relay lease in PostgreSQL), each event published once. SIGTERM/SIGINT stop a worker after its
current step, also while it waits to retry or to connect.

Options:
  --poll-ms N   how often to look for new events when idle (default 250)
  --once        catch up once and exit
${STORE_FLAGS_HELP}

Environment (relay): WEBINAR_EVENTS_STREAM_MAX_AGE (e.g. 7d) and WEBINAR_EVENTS_STREAM_MAX_BYTES (e.g. 10GiB)
set the retention of the JetStream stream; unset, its own limits stay.`;

const KINDS = ['classifier', 'router', 'relay'] as const;

export async function workerCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    'poll-ms': { type: 'string' },
    once: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(workerHelp);
    return EXIT.ok;
  }
  const kind = positionals[0] as (typeof KINDS)[number] | undefined;
  if (positionals.length !== 1 || !KINDS.includes(kind!)) {
    throw new UsageError(`worker takes one of: ${KINDS.join(', ')}`);
  }
  const pollMs = Number(values['poll-ms'] ?? 250);
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new UsageError('--poll-ms must be an integer ≥ 10');
  const config = resolveConfig(values);
  if (kind === 'relay' && config.nats === undefined)
    throw new UsageError('the relay needs --nats or NATS_URL');
  const log = jsonLog(config.logLevel, { worker: kind });
  // A signal stops the worker wherever it is: between steps, in a retry wait, or while it still connects.
  const stopping = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    if (!stopping.signal.aborted) log.info('stopping', { signal });
    stopping.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  /** Waits `ms`; false when a signal came meanwhile. */
  const pause = (ms: number): Promise<boolean> =>
    sleep(ms, true, { signal: stopping.signal }).catch(() => false);
  // Started before PostgreSQL or NATS answers (a supervisor restart, a compose up): keep trying for about five
  // minutes, except on what waiting cannot mend (a wrong password, a database or schema that does not exist).
  const connect = async <T>(what: string, open: () => Promise<T>): Promise<T | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open();
      } catch (error) {
        if (values['once'] || attempt >= 60 || isPermanent(error)) throw error;
        log.warn(`cannot reach the ${what}; retrying`, { error: (error as Error).message, attempt });
        if (!(await pause(Math.min(5000, 250 * 2 ** Math.min(attempt, 5))))) return null;
      }
    }
  };

  let store: EventStore | null = null;
  let bus: EventBus | null = null;
  try {
    store = await connect('store', () => openStore(config));
    if (store !== null && kind === 'relay') bus = await connect('bus', () => openBus(config));
    if (store === null || (kind === 'relay' && bus === null)) return EXIT.ok; // stopped while connecting
    log.info('worker started', { store: store.kind });
    await work(kind!, store, bus, log, stopping.signal, pause, values['once'] === true, pollMs);
    return EXIT.ok;
  } catch (error) {
    log.error('worker failed', { error: (error as Error).message });
    return EXIT.failure;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await bus?.close();
    await store?.close();
    log.info('worker stopped');
  }
}

/** SQLSTATE classes that retrying does not mend: 28 (authentication), 3D000 (no such database), 3F000 (no such schema). */
function isPermanent(error: unknown): boolean {
  return /^(28|3D000|3F000)/.test(errorCode(error) ?? '');
}

/** The worker's loop: a step, then a pause; a failed step is retried with a growing pause (up to 30 s). */
async function work(
  kind: (typeof KINDS)[number],
  store: EventStore,
  bus: EventBus | null,
  log: JsonLog,
  stopped: AbortSignal,
  pause: (ms: number) => Promise<boolean>,
  once: boolean,
  pollMs: number,
): Promise<void> {
  let failures = 0;
  while (!stopped.aborted) {
    try {
      // Stops between transactions at a signal: a backlog of a million events is not drained first.
      const done =
        kind === 'classifier'
          ? (await drainClassifier(store, undefined, stopped)).length
          : kind === 'router'
            ? (await drainRouter(store, undefined, stopped)).length
            : await drainRelay(store, bus!, stopped);
      failures = 0;
      if (done > 0) log.info(kind === 'relay' ? 'published' : 'derived', { count: done });
      if (once) return;
    } catch (error) {
      if (once) throw error;
      failures++;
      log.error('step failed; retrying', { error: (error as Error).message });
      await pause(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)));
      continue;
    }
    await pause(pollMs);
  }
}
