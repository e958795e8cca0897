import { ServiceChild } from './service-child.js';

/**
 * A real `webinar-events serve` child process on 127.0.0.1; `start()` waits until /healthz answers. Its output is kept
 * in `lines` (DEBUG_SERVE=1 echoes it to stderr).
 */
export class ServerProcess extends ServiceChild {
  readonly url: string;

  constructor(
    readonly port: number,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    super({
      name: `serve:${port}`,
      args: ['serve', '--port', String(port), ...args],
      env,
      keepLines: 2000,
      debugEnv: 'DEBUG_SERVE',
    });
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitForHttp(`${this.url}/healthz`, 15_000);
  }
}

/** Reads the whole log through GET /v1/events. */
export async function readWholeLog(
  url: string,
  headers: Record<string, string> = {},
): Promise<Array<Record<string, unknown>>> {
  const events: Array<Record<string, unknown>> = [];
  let after = 0;
  for (;;) {
    const response = await fetch(`${url}/v1/events?after=${after}&limit=1000`, { headers });
    if (response.status !== 200) throw new Error(`GET /v1/events answered ${response.status}`);
    const page = (await response.json()) as { events: Array<Record<string, unknown>>; next: number };
    events.push(...page.events);
    if (page.events.length === 0) return events;
    after = page.next;
  }
}
