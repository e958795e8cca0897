import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openRuntime, resolveConfig, type Runtime } from '../../src/config.js';
import { DEFAULT_HTTP_TIMEOUTS, buildApp } from '../../src/http/app.js';

/**
 * §7 security: slow clients (slowloris) cannot hold connections open. The timeouts are shortened here so that the
 * test is quick; the production values are checked separately.
 */
const SHORT = { requestMs: 1500, headersMs: 800, idleMs: 2500, keepAliveMs: 700, checkEveryMs: 100 };
const SLACK_MS = 1000;

interface Closed {
  /** Milliseconds from connecting to the server closing the connection. */
  readonly afterMs: number;
  /** Whatever the server wrote before closing (a 408, or nothing). */
  readonly received: string;
}

/** Connects, runs `drip` (which writes slowly), and resolves when the server closes the connection. */
function whenClosed(
  port: number,
  drip: (socket: Socket, closed: () => boolean) => Promise<void>,
): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let done = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ afterMs: performance.now() - started, received });
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => {
      drip(socket, () => done).catch(reject);
    });
    // The test's own bound: a server that never closes fails here instead of hanging.
    setTimeout(() => {
      if (!done) {
        done = true;
        socket.destroy();
        reject(new Error('the server kept the slow connection open for 15 s'));
      }
    }, 15_000).unref();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `text` one byte every `everyMs`, then keeps writing one more byte every `everyMs` forever. */
async function dribble(socket: Socket, closed: () => boolean, text: string, everyMs: number): Promise<void> {
  for (let i = 0; !closed(); i++) {
    socket.write(i < text.length ? text[i]! : ' ');
    await sleep(everyMs);
  }
}

/** The raw answer is a problem+json with this status and code, and closes the connection. */
function assertClientProblem(received: string, status: number, code: string): void {
  const [head = '', body = ''] = received.split('\r\n\r\n');
  assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `));
  assert.match(head, /\r\ncontent-type: application\/problem\+json\r\n/i);
  assert.match(head, /\r\nconnection: close/i);
  const problem = JSON.parse(body) as { status: number; code: string; detail?: string };
  assert.equal(problem.status, status);
  assert.equal(problem.code, code);
  assert.ok(problem.detail, 'says why');
}

describe('slow clients get their connection closed', () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), 'we-slow-'));
  before(async () => {
    runtime = await openRuntime(resolveConfig({ db: join(dir, 'slow.sqlite') }, {}));
    app = await buildApp(runtime.httpContext(), { timeouts: SHORT });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await app.close();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('§7: headers sent byte by byte, very slowly, are cut at the headers timeout (408)', async () => {
    const headers =
      'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: ';
    const closed = await whenClosed(port, (socket, done) => dribble(socket, done, headers, 100));
    assert.ok(closed.afterMs <= SHORT.headersMs + SLACK_MS, `closed after ${closed.afterMs} ms`);
    assert.ok(closed.afterMs >= SHORT.headersMs - 50, `closed after ${closed.afterMs} ms`);
    assert.match(closed.received, /^HTTP\/1\.1 408 /);
    assertClientProblem(closed.received, 408, 'REQUEST_TIMEOUT');
  });

  it('§7: a body that never finishes is cut at the request timeout (408)', async () => {
    const head =
      'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[';
    // Each byte arrives well within the idle timeout, so only the request timeout can end this.
    const closed = await whenClosed(port, async (socket, done) => {
      socket.write(head);
      await dribble(socket, done, '', 200);
    });
    assert.ok(closed.afterMs <= SHORT.requestMs + SLACK_MS, `closed after ${closed.afterMs} ms`);
    assert.ok(closed.afterMs >= SHORT.requestMs - 50, `closed after ${closed.afterMs} ms`);
    assert.match(closed.received, /^HTTP\/1\.1 408 /);
    assertClientProblem(closed.received, 408, 'REQUEST_TIMEOUT');
  });

  it('bytes that are not HTTP get 400 MALFORMED_HTTP, headers over 16 KiB 431 HEADERS_TOO_LARGE: problem+json', async () => {
    const garbage = await whenClosed(port, async (socket) => void socket.write('HELLO THERE\r\n\r\n'));
    assertClientProblem(garbage.received, 400, 'MALFORMED_HTTP');
    const big = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`;
    const huge = await whenClosed(port, async (socket) => void socket.write(big));
    assertClientProblem(huge.received, 431, 'HEADERS_TOO_LARGE');
  });

  it('§7: a connection that sends nothing is closed', async () => {
    const closed = await whenClosed(port, async () => undefined);
    assert.ok(closed.afterMs <= Math.max(SHORT.headersMs, SHORT.idleMs) + SLACK_MS, `${closed.afterMs} ms`);
  });

  it('§7: an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const closed = await whenClosed(port, async (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    });
    // Node keeps an idle keep-alive socket up to 1 s past keepAliveTimeout (its grace for in-flight requests).
    assert.ok(closed.afterMs <= SHORT.keepAliveMs + 1000 + SLACK_MS, `closed after ${closed.afterMs} ms`);
    assert.ok(closed.afterMs >= SHORT.keepAliveMs, `closed after ${closed.afterMs} ms`);
    assert.match(closed.received, /^HTTP\/1\.1 200 /);
  });

  it('§7: a slow client does not slow the others: /healthz answers while slow connections hang', async () => {
    const slow = Array.from({ length: 20 }, () =>
      whenClosed(port, (socket, done) => dribble(socket, done, 'GET /v1/events HTTP/1.1\r\nX-Slow: ', 100)),
    );
    await sleep(200);
    let slowOpen = true;
    const allClosed = Promise.all(slow).finally(() => (slowOpen = false));
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(response.status, 200);
    // Answered while the slow connections were still hanging, not after the server dropped them.
    assert.equal(slowOpen, true, '/healthz waited for the slow clients');
    for (const closed of await allClosed) {
      assert.ok(closed.afterMs <= SHORT.headersMs + SLACK_MS, `closed after ${closed.afterMs} ms`);
    }
  });
});

describe('the production timeouts', () => {
  it('§7: headers 15 s, whole request 30 s, idle 60 s, keep-alive 75 s, checked every second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'we-slow-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'defaults.sqlite') }, {}));
    const app = await buildApp(runtime.httpContext());
    try {
      assert.deepEqual(DEFAULT_HTTP_TIMEOUTS, {
        requestMs: 30_000,
        headersMs: 15_000,
        idleMs: 60_000,
        keepAliveMs: 75_000,
        checkEveryMs: 1_000,
      });
      const server = app.server;
      assert.equal(server.headersTimeout, 15_000);
      assert.equal(server.requestTimeout, 30_000);
      assert.equal(server.timeout, 60_000);
      assert.equal(server.keepAliveTimeout, 75_000);
      assert.ok(server.headersTimeout <= server.requestTimeout);
    } finally {
      await app.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
