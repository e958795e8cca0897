import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ServerCpu, cpuCeilingFields } from '../../bench/server-cpu.js';
import { postgresUrl, serviceAvailable } from './services.js';

const url = postgresUrl();
const available = await serviceAvailable('PostgreSQL', url);

/** About half a second of the server's CPU on a connection of its own, closed afterwards. */
async function burnOnOwnConnection(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT count(*) FROM generate_series(1, 5000000) AS g WHERE g % 7 = 3');
  } finally {
    await client.end();
  }
}

describe('bench: the CPU fields of the PostgreSQL rows', () => {
  it('the ceiling is the events over the CPU seconds spread on every core', () => {
    const fields = cpuCeilingFields(1000, 3, 1);
    assert.equal(fields['server_cpu_s'], 1);
    assert.equal(fields['cpu_s'], 4);
    const cores = (fields['cpu_ceiling_events_per_s'] as number) / (1000 / 4);
    assert.ok(Number.isInteger(cores) && cores >= 1, `ceiling over one core's rate: ${cores}`);
    assert.deepEqual(cpuCeilingFields(1000, 3, undefined), {});
    assert.deepEqual(cpuCeilingFields(1000, undefined, 2), { server_cpu_s: 2 });
  });
});

if (!available) {
  describe('bench: server CPU', { skip: `cannot reach ${url}` }, () => {
    it('counts the server processes', () => undefined);
  });
} else {
  describe('bench: the CPU of the local PostgreSQL server', () => {
    let client: pg.Client;
    before(async () => {
      client = new pg.Client({ connectionString: url });
      await client.connect();
    });
    after(async () => {
      await client.end();
    });

    it("counts the work of a backend that has exited (through the postmaster's reaped children)", async () => {
      const idle = await ServerCpu.start(client);
      assert.ok(idle !== undefined, 'the test server runs on this machine: its processes are in /proc');
      const idleSeconds = (await idle.seconds())!;

      const busy = (await ServerCpu.start(client))!;
      await burnOnOwnConnection();
      const busySeconds = (await busy.seconds())!;
      assert.ok(busySeconds >= 0.1, `a scan of 5M rows took ${busySeconds} s of server CPU`);
      assert.ok(busySeconds > idleSeconds, `busy ${busySeconds} s against idle ${idleSeconds} s`);
    });
  });
}
