/**
 * Workers and `serve` stop cleanly whatever their connections are doing, and give up at once on what waiting
 * cannot mend (found by an operations audit of the scale runtime): SIGTERM while a worker still waits for its
 * store, NATS gone before SIGTERM, a database that does not exist, `--once` with NATS unreachable, a report or
 * an evaluation with NATS_URL set but NATS down.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.js';
import { freePort } from './process-helpers.js';
import { BIN, ServiceChild } from './service-child.js';
import { freshSchema, postgresUrl, serviceAvailable, type FreshSchema } from './services.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const NATS_SERVER = '/usr/sbin/nats-server';

interface Ran {
  readonly code: number | null;
  readonly output: string;
}

/** Runs the CLI to its end (at most 60 s): exit code and stdout + stderr. */
function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A NATS server of this test's own (the shared one must not be stopped), on a free port. */
async function privateNats(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    NATS_SERVER,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, `nats-${port}`)],
    { stdio: 'ignore' },
  );
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (i >= 200 || child.exitCode !== null) throw new Error('the private nats-server did not start');
    await sleep(25);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

const line = (child: ServiceChild, msg: string): boolean => child.jsonLines().some((l) => l['msg'] === msg);

describe('workers and serve stop cleanly, and give up on what waiting cannot mend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-lifecycle-'));
  const children = new Set<ServiceChild>();
  const child = (name: string, args: string[], env: NodeJS.ProcessEnv = {}): ServiceChild => {
    const made = new ServiceChild({ name, args, env: { LOG_LEVEL: 'info', ...env } });
    children.add(made);
    return made;
  };
  after(async () => {
    for (const c of children) await c.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker stopped while it still waits for its store exits 0 at once, saying so', async () => {
    const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/test`;
    const worker = child('classifier', ['worker', 'classifier', '--postgres', nowhere]);
    worker.spawn();
    await worker.waitForLine('cannot reach the store; retrying', 20_000);
    assert.equal(await worker.stop(20_000), 0, worker.lastLines());
    assert.ok(line(worker, 'stopping'), worker.lastLines());
    assert.ok(line(worker, 'worker stopped'), worker.lastLines());
  });

  // A private nats-server is started and killed here; where services are required (CI) its absence is a failure.
  if (!existsSync(NATS_SERVER) && process.env['WEBINAR_EVENTS_REQUIRE_SERVICES'] === '1') {
    throw new Error(
      `${NATS_SERVER} is required (WEBINAR_EVENTS_REQUIRE_SERVICES=1) for the NATS lifecycle tests`,
    );
  }
  if (!existsSync(NATS_SERVER)) console.error(`!!! SKIPPING NATS lifecycle tests: no ${NATS_SERVER}`);
  describe('with NATS gone before the signal', { skip: !existsSync(NATS_SERVER) && 'no nats-server' }, () => {
    it('serve --nats stops at SIGTERM and logs stopped', async () => {
      const nats = await privateNats(dir);
      const port = await freePort();
      const serve = child('serve', [
        'serve',
        '--db',
        join(dir, 'serve.sqlite'),
        '--nats',
        nats.url,
        '--port',
        String(port),
      ]);
      try {
        serve.spawn();
        await serve.waitForHttp(`http://127.0.0.1:${port}/healthz`, 20_000);
        await nats.stop();
        // Without a bound on the NATS drain this SIGTERM hung for good (the client reconnects forever).
        assert.equal(await serve.stop(20_000), 0, serve.lastLines());
        assert.ok(line(serve, 'stopped'), serve.lastLines());
      } finally {
        await nats.stop();
      }
    });

    it('the relay worker stops at SIGTERM and logs worker stopped', async () => {
      const nats = await privateNats(dir);
      const relay = child('relay', [
        'worker',
        'relay',
        '--db',
        join(dir, 'relay.sqlite'),
        '--nats',
        nats.url,
      ]);
      try {
        relay.spawn();
        await relay.waitForLine('worker started', 20_000);
        await nats.stop();
        assert.equal(await relay.stop(20_000), 0, relay.lastLines());
        assert.ok(line(relay, 'worker stopped'), relay.lastLines());
      } finally {
        await nats.stop();
      }
    });
  });

  it('report and evaluate do not need NATS when NATS_URL is set (it is down here)', async () => {
    const db = join(dir, 'reads.sqlite');
    await new SqliteEventStore(db).close();
    const env = { NATS_URL: `nats://127.0.0.1:${await freePort()}` };
    const report = await run(['report', 'W-1', '--db', db], env);
    assert.equal(report.code, 0, report.output);
    const evaluate = await run(['evaluate', 'W-1', '--db', db], env);
    assert.equal(evaluate.code, 0, evaluate.output);
  });

  it('worker relay --once with NATS unreachable fails naming NATS', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const ran = await run(['worker', 'relay', '--db', join(dir, 'once.sqlite'), '--nats', url, '--once']);
    assert.equal(ran.code, 1, ran.output);
    assert.match(
      ran.output,
      new RegExp(`"error":"cannot reach NATS at ${url}: [^"]+","msg":"worker failed"`),
    );
  });

  describe('on PostgreSQL', () => {
    let available = false;
    let schema: FreshSchema | undefined;
    before(async () => {
      available = await serviceAvailable('PostgreSQL', postgresUrl());
      if (available) schema = await freshSchema();
    });
    after(async () => schema?.drop());

    it('a database that does not exist: exit 1 at once with worker failed, no retrying', async (t) => {
      if (!available) return t.skip('PostgreSQL unreachable');
      const url = new URL(postgresUrl());
      url.pathname = '/no_such_database_for_webinar_events';
      const ran = await run(['worker', 'router', '--postgres', url.toString()]);
      assert.equal(ran.code, 1, ran.output);
      assert.match(ran.output, /"error":"database .+ does not exist","msg":"worker failed"/);
      assert.doesNotMatch(ran.output, /retrying/);
    });

    it('--once with NATS unreachable closes its PostgreSQL pool and fails naming NATS', async (t) => {
      if (!available) return t.skip('PostgreSQL unreachable');
      const url = new URL(postgresUrl());
      url.searchParams.set('options', `-c search_path=${schema!.schema}`);
      const nats = `nats://127.0.0.1:${await freePort()}`;
      const ran = await run(['worker', 'relay', '--postgres', url.toString(), '--nats', nats, '--once']);
      assert.equal(ran.code, 1, ran.output);
      assert.match(ran.output, /cannot reach NATS at/);
      assert.match(ran.output, /"msg":"worker stopped"/);
    });
  });
});
