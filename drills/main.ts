/**
 * `npm run drill -- <name> [options]`: the reliability drills (docs/reliability.md). Each prints one JSON line of
 * figures on stdout, `{"drill":NAME, …, "ok":true|false}`; the exit code is 1 when a drill is not ok (a
 * must-be-zero figure is not zero) or fails, 2 on a usage error. Progress notes go to stderr.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { cleanup, round, type Figures } from './common.js';
import { FUZZ_FULL, fuzzDrill } from './fuzz.js';
import { KILL_FULL, killDrill } from './kill.js';
import { OVERLOAD_FULL, overloadDrill } from './overload.js';
import { RESTART_FULL, restartDrill } from './restart.js';
import { SOAK_FULL, soakDrill } from './soak.js';

const HELP = `Usage: npm run drill -- <drill> [options]      (node dist/drills/main.js <drill> [options])

Drills (each bounded in time and count; all traffic on 127.0.0.1):
  kill          SIGKILL the embedded server ≥ 10 times while producers send batches; restart, resend.
                Must be 0: lost, duplicated, classifications_without_one_route, misclassified.
  pg-restart    scale runtime (PostgreSQL + NATS): restart PostgreSQL under load. /readyz must say not
                ready meanwhile; the service recovers by itself; nothing lost; JetStream gets every event.
  nats-restart  the same with NATS restarted under load.
  fuzz          ≥ 100,000 generated inputs over HTTP. Must be 0: 5xx, inputs without a verdict;
                quarantined must equal rejected.
  soak          2 minutes at a steady 5,000 events/s: p50/p99 latency, RSS growth (< 20 %), errors (0).
  overload      far more load than the service can take: 503 + Retry-After (or 429), bounded memory,
                recovery once the load stops.
  all           every drill above, in that order.

Options:
  --seconds N   soak: its length (default 120); overload: the length of the flood (default 20)
  --inputs N    fuzz: how many inputs (default 100000)
  --cycles N    kill: how many SIGKILLs under load (default 20)
  --seed N      fuzz: the fast-check seed (default: random, printed in the figures)
  -h, --help    this help

pg-restart and nats-restart need PostgreSQL (DATABASE_URL_TEST, default postgres://postgres@127.0.0.1:5432/test)
and NATS (NATS_URL_TEST, default nats://127.0.0.1:4222) on this machine, and root to restart them; both are
left running whatever happens. They never run inside npm test.`;

const DRILLS = ['kill', 'pg-restart', 'nats-restart', 'fuzz', 'soak', 'overload'] as const;
type DrillName = (typeof DRILLS)[number];

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive integer`);
  return value;
}

class UsageError extends Error {}

async function run(name: DrillName, values: Record<string, string | boolean | undefined>): Promise<Figures> {
  const str = (key: string): string | undefined => {
    const v = values[key];
    return typeof v === 'string' ? v : undefined;
  };
  switch (name) {
    case 'kill':
      return killDrill({ ...KILL_FULL, cycles: positiveInt('cycles', str('cycles')) ?? KILL_FULL.cycles });
    case 'pg-restart':
      return restartDrill('postgres', RESTART_FULL);
    case 'nats-restart':
      return restartDrill('nats', RESTART_FULL);
    case 'fuzz':
      return fuzzDrill({
        ...FUZZ_FULL,
        inputs: positiveInt('inputs', str('inputs')) ?? FUZZ_FULL.inputs,
        seed: positiveInt('seed', str('seed')) ?? FUZZ_FULL.seed,
      });
    case 'soak':
      return soakDrill({
        ...SOAK_FULL,
        seconds: positiveInt('seconds', str('seconds')) ?? SOAK_FULL.seconds,
      });
    case 'overload':
      return overloadDrill({
        ...OVERLOAD_FULL,
        seconds: positiveInt('seconds', str('seconds')) ?? OVERLOAD_FULL.seconds,
      });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        seconds: { type: 'string' },
        inputs: { type: 'string' },
        cycles: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0 || (name !== 'all' && !DRILLS.includes(name as DrillName))) {
    process.stderr.write(
      `${name === undefined ? 'name a drill' : `unknown drill: ${positionals.join(' ')}`}\n\n${HELP}\n`,
    );
    return 2;
  }
  const names: readonly DrillName[] = name === 'all' ? DRILLS : [name as DrillName];
  let failed = false;
  for (const drill of names) {
    let figures: Figures;
    // The machine's load around the drill: timing figures mean little when something else shares the cores.
    const loadBefore = round(loadavg()[0]!, 2);
    try {
      const { ok, ...rest } = await run(drill, values);
      figures = { ...rest, load_1m_before: loadBefore, load_1m_after: round(loadavg()[0]!, 2), ok };
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        return 2;
      }
      figures = { drill, error: (error as Error).message.slice(0, 2000), ok: false };
    } finally {
      cleanup();
    }
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    if (!figures.ok) failed = true;
  }
  return failed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    cleanup();
    process.exit(code);
  },
  (error: unknown) => {
    cleanup();
    process.stderr.write(`drill: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
