import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openRuntime, resolveConfig, type Runtime } from '../../src/config.js';
import { buildApp, type HttpTimeouts } from '../../src/http/app.js';
import { BodyBudget, declaredBodyBytes } from '../../src/http/body-budget.js';
import { registered } from './http-helpers.js';

const BUDGET = 20_000;
const BODY_LIMIT = 16_000;

/** A JSON batch of one registration, padded with spaces to exactly `bytes` bytes. */
function body(bytes: number, lead: string): string {
  const json = JSON.stringify([registered({ lead, webinar: 'W-budget' })]);
  assert.ok(json.length + 1 <= bytes);
  return `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}]`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A POST whose headers and first bytes are sent now and the rest later: its body stays "being received". */
class SlowRequest {
  private readonly socket: Socket;
  private answer = '';
  private readonly closed: Promise<void>;

  constructor(port: number, headers: string, first: string) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.answer += chunk));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('error', () => undefined);
    this.socket.write(
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n${first}`,
    );
  }

  /** Sends the rest and resolves with the status of the answer. */
  async finish(rest: string): Promise<number> {
    this.socket.end(rest);
    return this.finished();
  }

  /** Waits for the server to answer and close, without sending more; resolves with the status. */
  async finished(): Promise<number> {
    await this.closed;
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.answer)?.[1] ?? 0);
  }

  /** The client goes away mid-body. */
  async abort(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

/** A listening server over a fresh SQLite file with the small limits of these tests, and its /metrics. */
class BudgetServer {
  private constructor(
    private readonly dir: string,
    private readonly runtime: Runtime,
    private readonly app: FastifyInstance,
    readonly port: number,
  ) {}

  static async start(timeouts?: Partial<HttpTimeouts>): Promise<BudgetServer> {
    const dir = mkdtempSync(join(tmpdir(), 'we-budget-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'b.sqlite') }, {}));
    const base = runtime.httpContext();
    const app = await buildApp(
      { ...base, limits: { ...base.limits, bodyBytes: BODY_LIMIT, bodyMemoryBytes: BUDGET } },
      timeouts === undefined ? {} : { timeouts },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new BudgetServer(dir, runtime, app, port);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
  }

  /** Waits (at most 10 s) until the server has reserved `bytes` in all: a slow request's headers were read. */
  async reservedBecomes(bytes: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    let last = '';
    while (Date.now() < deadline) {
      last = /^webinar_events_http_body_bytes_reserved (\d+)$/m.exec(await this.metrics())?.[1] ?? '';
      if (last === String(bytes)) return;
      await sleep(10);
    }
    assert.fail(`body bytes reserved: ${last}, expected ${bytes}`);
  }

  async close(): Promise<void> {
    this.app.server.closeAllConnections();
    await this.app.close();
    await this.runtime.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('request bodies in flight are bounded (WEBINAR_EVENTS_BODY_MEMORY_MB)', () => {
  let server: BudgetServer;
  let port: number;

  const post = async (
    text: string,
  ): Promise<{ status: number; code?: string; retryAfter: string | null }> => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    const json = (await response.json()) as { code?: string };
    return { status: response.status, code: json.code, retryAfter: response.headers.get('retry-after') };
  };
  const metrics = (): Promise<string> => server.metrics();
  const reservedBecomes = (bytes: number): Promise<void> => server.reservedBecomes(bytes);

  before(async () => {
    server = await BudgetServer.start();
    port = server.port;
  });

  after(async () => {
    await server.close();
  });

  it('a body that does not fit beside the ones being received is answered 503 at once; smaller ones pass', async () => {
    const big = body(15_000, 'L-big');
    const slow = new SlowRequest(
      port,
      `Content-Type: application/json\r\nContent-Length: ${big.length}\r\n`,
      big.slice(0, 100),
    );
    await reservedBecomes(15_000);
    const refused = await post(body(8_000, 'L-refused'));
    assert.equal(refused.status, 503);
    assert.equal(refused.code, 'OVERLOADED');
    assert.equal(refused.retryAfter, '1');
    assert.match(await metrics(), /^webinar_events_overloaded_total\{reason="body_memory"\} 1$/m);
    assert.equal((await post(body(2_000, 'L-small'))).status, 200, 'what fits is taken');
    assert.equal(await slow.finish(big.slice(100)), 200, 'the slow body completes');
    assert.equal((await post(body(8_000, 'L-refused'))).status, 200, 'the retry passes once it is released');
    await reservedBecomes(0);
  });

  it('a client that goes away mid-body gives its reservation back', async () => {
    const slow = new SlowRequest(port, `Content-Type: application/json\r\nContent-Length: 15000\r\n`, '[ ');
    await reservedBecomes(15_000);
    assert.equal((await post(body(8_000, 'L-after-abort'))).status, 503);
    await slow.abort();
    await reservedBecomes(0);
    assert.equal((await post(body(8_000, 'L-after-abort'))).status, 200);
  });

  it('a body without Content-Length (chunked) reserves the whole body limit', async () => {
    const text = body(3_000, 'L-chunked');
    const slow = new SlowRequest(
      port,
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n',
      `${(100).toString(16)}\r\n${text.slice(0, 100)}\r\n`,
    );
    await reservedBecomes(BODY_LIMIT);
    assert.equal((await post(body(5_000, 'L-beside-chunked'))).status, 503, '16,000 + 5,000 > 20,000');
    const rest = text.slice(100);
    assert.equal(await slow.finish(`${rest.length.toString(16)}\r\n${rest}\r\n0\r\n\r\n`), 200);
    assert.equal((await post(body(5_000, 'L-beside-chunked'))).status, 200);
  });
});

describe('a body cut off by the request timeout gives its reservation back', () => {
  it('408, connection closed, nothing left reserved', async () => {
    const server = await BudgetServer.start({ requestMs: 600, headersMs: 400, checkEveryMs: 100 });
    try {
      const slow = new SlowRequest(
        server.port,
        'Content-Type: application/json\r\nContent-Length: 15000\r\n',
        '[ ',
      );
      await server.reservedBecomes(15_000);
      assert.equal(await slow.finished(), 408);
      await server.reservedBecomes(0);
    } finally {
      await server.close();
    }
  });
});

describe('BodyBudget and declaredBodyBytes', () => {
  it('reserves what fits, refuses what does not, and releases', () => {
    const budget = new BodyBudget(100);
    assert.equal(budget.take(60), true);
    assert.equal(budget.take(50), false);
    assert.equal(budget.reserved, 60);
    assert.equal(budget.take(40), true);
    budget.release(60);
    assert.equal(budget.take(50), true);
    assert.equal(budget.reserved, 90);
  });

  it('reads Content-Length, capped by the body limit; anything else counts as the limit', () => {
    assert.equal(declaredBodyBytes('1234', 4096), 1234);
    assert.equal(declaredBodyBytes('999999', 4096), 4096);
    for (const odd of [undefined, '', '-1', '1e3', '12abc', '9'.repeat(20)]) {
      assert.equal(declaredBodyBytes(odd, 4096), 4096, String(odd));
    }
  });

  it('WEBINAR_EVENTS_BODY_MEMORY_MB: default 256, must hold at least one largest body', () => {
    assert.equal(resolveConfig({}, {}).bodyMemoryBytes, 256 * 2 ** 20);
    assert.equal(resolveConfig({}, { WEBINAR_EVENTS_BODY_MEMORY_MB: '64' }).bodyMemoryBytes, 64 * 2 ** 20);
    assert.throws(() => resolveConfig({}, { WEBINAR_EVENTS_BODY_MEMORY_MB: '2' }), /at least 4/);
    assert.throws(() => resolveConfig({}, { WEBINAR_EVENTS_BODY_MEMORY_MB: 'lots' }), /positive number/);
  });
});
