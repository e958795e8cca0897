/**
 * The CPU a local PostgreSQL server spends on a bench row: the postmaster and all its processes (backends,
 * WAL writer, checkpointer, autovacuum), from /proc. A process that exits during the row is counted too, through
 * the postmaster's cumulative children's time once it has reaped it. Linux only, and only when the server runs on
 * this machine (its backend's pid is found in /proc as a `postgres` process); otherwise undefined, and the rows
 * leave the fields out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type pg from 'pg';
import { round, sleep } from './util.js';

/** USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux build node runs on. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime of the process itself. */
  readonly ownTicks: number;
  /** cutime + cstime: the processes it has reaped. */
  readonly reapedTicks: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    // Counted from the state field (field 3 of stat): ppid 4 → [1], utime 14 → [11], stime, cutime, cstime.
    const f = stat
      .slice(close + 2)
      .split(' ')
      .map(Number);
    return { comm, ppid: f[1]!, ownTicks: f[11]! + f[12]!, reapedTicks: f[13]! + f[14]! };
  } catch {
    return undefined;
  }
}

/** Ticks of the postmaster and every live child, plus the children it reaped: the whole cluster so far. */
function clusterTicks(postmaster: number): number | undefined {
  // Children first, then the postmaster: a child reaped in between is counted twice (its whole CPU: live, then in
  // the postmaster's reaped time), never missed. The settle wait before the last sample keeps the row's own
  // backends out of that window; a background worker exiting at that very moment would inflate the figure.
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === postmaster) continue;
    const stat = procStat(pid);
    if (stat !== undefined && stat.ppid === postmaster) ticks += stat.ownTicks;
  }
  const own = procStat(postmaster);
  if (own === undefined) return undefined;
  return ticks + own.ownTicks + own.reapedTicks;
}

export class ServerCpu {
  private constructor(
    private readonly postmaster: number,
    private readonly startTicks: number,
  ) {}

  /** Starts counting, or undefined when the server is not a local PostgreSQL whose processes /proc shows. */
  static async start(client: pg.Client): Promise<ServerCpu | undefined> {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = procStat(rows[0]?.pid ?? -1);
    if (backend === undefined || backend.comm !== 'postgres') return undefined;
    const postmaster = procStat(backend.ppid);
    if (postmaster === undefined || postmaster.comm !== 'postgres') return undefined;
    const ticks = clusterTicks(backend.ppid);
    return ticks === undefined ? undefined : new ServerCpu(backend.ppid, ticks);
  }

  /**
   * CPU seconds since start. Waits `settleMs` first, so that the backends of connections the row just closed
   * have exited and been reaped.
   */
  async seconds(settleMs = 300): Promise<number | undefined> {
    await sleep(settleMs);
    const ticks = clusterTicks(this.postmaster);
    return ticks === undefined ? undefined : round((ticks - this.startTicks) / TICKS_PER_SECOND, 2);
  }
}

/**
 * The CPU fields of a PostgreSQL row: the server's CPU, the client's, their sum, and the rate at which that much
 * work would keep every core of this machine busy (`cpu_ceiling_events_per_s`): no scheduling of the same work
 * on these cores can go faster, so it bounds what any overlap of client and server could reach.
 */
export function cpuCeilingFields(
  events: number,
  clientCpuSeconds: number | undefined,
  serverCpuSeconds: number | undefined,
): Record<string, number> {
  if (serverCpuSeconds === undefined) return {};
  const fields: Record<string, number> = { server_cpu_s: serverCpuSeconds };
  if (clientCpuSeconds === undefined) return fields;
  const total = clientCpuSeconds + serverCpuSeconds;
  const cores = availableParallelism();
  return {
    ...fields,
    cpu_s: round(total, 2),
    cpu_ceiling_events_per_s: total > 0 ? Math.round(events / (total / cores)) : 0,
  };
}
