/**
 * The external services of the scale runtime, as the restart drills handle them: PostgreSQL stopped and started
 * with pg_ctlcluster, NATS stopped by its pid and started with start-stop-daemon, both brought back whatever
 * happens (`ensureServices`, also registered as a cleanup hook). JetStream read back from a recorded sequence.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsEventBus } from '../src/bus/nats-bus.js';
import { STREAM_NAME } from '../src/contract/index.js';
import { natsUrl, postgresUrl, serviceAvailable } from '../test/int/services.js';
import { note, sleep, type Json } from './common.js';

export { natsUrl, postgresUrl };

export type Service = 'postgres' | 'nats';

const NATS_START = [
  '--start',
  '--oknodo',
  '--background',
  '--exec',
  '/usr/sbin/nats-server',
  '--',
  '-a',
  '127.0.0.1',
  '-p',
  '4222',
  '-js',
  '-sd',
  '/var/lib/nats-server',
  '-l',
  '/var/log/nats-server.log',
];

function pgCluster(): [string, string] {
  const versions = readdirSync('/etc/postgresql');
  if (versions.length === 0) throw new Error('no PostgreSQL cluster under /etc/postgresql');
  return [versions.sort().at(-1)!, 'main'];
}

function pgCtl(action: 'start' | 'stop'): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', ...pgCluster(), action], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
}

async function reachable(service: Service): Promise<boolean> {
  const saved = process.env['WEBINAR_EVENTS_REQUIRE_SERVICES'];
  delete process.env['WEBINAR_EVENTS_REQUIRE_SERVICES'];
  const realError = console.error;
  console.error = () => undefined; // serviceAvailable's "SKIPPING" line means nothing here
  try {
    return await serviceAvailable(
      service === 'postgres' ? 'PostgreSQL' : 'NATS',
      service === 'postgres' ? postgresUrl() : natsUrl(),
    );
  } finally {
    console.error = realError;
    if (saved !== undefined) process.env['WEBINAR_EVENTS_REQUIRE_SERVICES'] = saved;
  }
}

/** The pids of the running nats-server processes (looked up by exact name; each is then signalled by pid). */
function natsPids(): number[] {
  try {
    return execFileSync('pgrep', ['-x', 'nats-server'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops the service: PostgreSQL in fast mode, NATS by SIGTERM to its pid (SIGKILL after 10 s). */
export async function stopService(service: Service): Promise<void> {
  if (service === 'postgres') {
    pgCtl('stop');
    return;
  }
  for (const pid of natsPids()) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

/** Starts the service and waits until it answers (at most 30 s). */
export async function startService(service: Service): Promise<void> {
  if (service === 'postgres') {
    try {
      pgCtl('start');
    } catch (error) {
      if (!(await reachable('postgres'))) throw error; // "already running" is fine
    }
  } else {
    execFileSync('start-stop-daemon', NATS_START, { stdio: 'ignore', timeout: 30_000 });
  }
  for (let i = 0; i < 300; i++) {
    if (await reachable(service)) return;
    await sleep(100);
  }
  throw new Error(`${service} did not come back within 30 s`);
}

/** Both services running, whatever a drill did: called at the end of a restart drill and on any exit. */
export async function ensureServices(): Promise<void> {
  for (const service of ['postgres', 'nats'] as const) {
    if (await reachable(service)) continue;
    note(`${service} is down: starting it`);
    await startService(service);
  }
}

/** Synchronous last resort (process exit): start whatever is not running. */
export function ensureServicesSync(): void {
  try {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', ...pgCluster(), 'start'], {
      stdio: 'ignore',
    });
  } catch {
    // already running (exit code 2), or it cannot be helped here
  }
  try {
    if (natsPids().length === 0) execFileSync('start-stop-daemon', NATS_START, { stdio: 'ignore' });
  } catch {
    // reported by the drill itself
  }
}

export async function servicesAvailable(): Promise<boolean> {
  return (await reachable('postgres')) && (await reachable('nats'));
}

// ---- JetStream ----

/** The sequence the next message of WEBINAR_EVENTS will get (the stream is created as the service would). */
export async function nextStreamSeq(url: string = natsUrl()): Promise<number> {
  const bus = await NatsEventBus.open(url, 'webinar-events-drill-setup');
  await bus.close();
  const nc = await connect({ servers: url, name: 'webinar-events-drill' });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(STREAM_NAME)).state.last_seq + 1;
  } finally {
    await nc.close();
  }
}

export interface StreamMessage {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly event: Json;
}

/** The messages of WEBINAR_EVENTS from `fromSeq` to the current last one that `mine` selects. */
export async function readStream(
  fromSeq: number,
  mine: (event: Json) => boolean,
  url: string = natsUrl(),
): Promise<StreamMessage[]> {
  const nc = await connect({ servers: url, name: 'webinar-events-drill-tap' });
  const out: StreamMessage[] = [];
  try {
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(STREAM_NAME)).state.last_seq;
    if (last < fromSeq) return out;
    const consumer = await jetstream(nc).consumers.get(STREAM_NAME, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
    });
    const decoder = new TextDecoder();
    let next = fromSeq;
    for (let round = 0; next <= last && round < 100_000; round++) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 5000 });
      let got = 0;
      for await (const msg of batch) {
        got++;
        next = msg.seq + 1;
        const event = JSON.parse(decoder.decode(msg.data)) as Json;
        if (mine(event)) {
          out.push({ seq: msg.seq, subject: msg.subject, msgId: msg.headers?.get('Nats-Msg-Id'), event });
        }
        if (msg.seq >= last) break;
      }
      if (got === 0) throw new Error(`no message from ${STREAM_NAME} at sequence ${next} (last ${last})`);
    }
    return out;
  } finally {
    await nc.close();
  }
}
