import { setTimeout as sleep } from 'node:timers/promises';
import { STORE_FLAGS, STORE_FLAGS_HELP, openBus, openStore, resolveConfig } from '../config.js';
import { drainClassifier, drainRelay, drainRouter } from '../pipeline/index.js';
import { jsonLog } from './json-log.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import type { Output } from './output.js';

export const workerHelp = `Usage: webinar-events worker <classifier|router|relay> [--poll-ms N] [--once] [store options]

Runs one processor as its own process, for the scale runtime (serve --no-processors for the API):
  classifier  reads client events after its checkpoint and appends attendance classifications
  router      turns each classification into exactly one post_webinar_route
  relay       publishes every stored event to NATS JetStream (needs --nats / NATS_URL)
Several copies of a worker may run at once: they take turns, and no derived event is ever doubled.

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
  // Started before PostgreSQL or NATS answers (a supervisor restart, a compose up): keep trying.
  const connect = async <T>(what: string, open: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open();
      } catch (error) {
        if (values['once'] || attempt >= 60) throw error;
        log.warn(`cannot reach the ${what}; retrying`, { error: (error as Error).message });
        await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
      }
    }
  };
  const store = await connect('store', () => openStore(config));
  const bus = kind === 'relay' ? await connect('bus', () => openBus(config)) : null;

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log.info('worker started', { store: store.kind });
  let failures = 0;
  try {
    while (!stopping) {
      try {
        const done =
          kind === 'classifier'
            ? (await drainClassifier(store)).length
            : kind === 'router'
              ? (await drainRouter(store)).length
              : await drainRelay(store, bus!);
        failures = 0;
        if (done > 0) log.info(kind === 'relay' ? 'published' : 'derived', { count: done });
        if (values['once']) break;
      } catch (error) {
        failures++;
        log.error('step failed; retrying', { error: (error as Error).message });
        if (values['once']) return EXIT.failure;
        await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)));
        continue;
      }
      await sleep(pollMs);
    }
  } finally {
    await bus?.close();
    await store.close();
    log.info('worker stopped');
  }
  return EXIT.ok;
}
