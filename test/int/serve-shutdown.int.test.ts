/**
 * `serve` at SIGTERM: open requests get a grace period, then their connections are closed, so a slow client
 * cannot hold the shutdown (Node stops its own request timeouts once the server is closing); a request that still
 * arrives on an open connection is answered 503 SHUTTING_DOWN as problem+json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from './process-helpers.js';
import { ServerProcess } from './server-process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function open(port: number): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => data }));
    socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

describe('serve: shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-shutdown-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a client trickling its body cannot hold the shutdown past the grace period', async () => {
    const server = new ServerProcess(await freePort(), ['--db', join(dir, 'slow.sqlite')], {
      WEBINAR_EVENTS_SHUTDOWN_GRACE_S: '1',
      LOG_LEVEL: 'info',
    });
    await server.start();
    const slow = await open(server.port);
    slow.socket.write(
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[',
    );
    // One more byte every 200 ms: never idle, never done.
    const trickle = setInterval(() => slow.socket.write(' '), 200);
    try {
      await sleep(300);
      const started = Date.now();
      const code = await server.stop(20_000);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(code, 0, server.lastLines());
      assert.ok(seconds < 6, `stopped after ${seconds} s`);
      // Its last output lines may be read just after its exit.
      const messagesNow = (): unknown[] => server.jsonLines().map((l) => l['msg']);
      for (let i = 0; i < 40 && !messagesNow().includes('stopped'); i++) await sleep(50);
      const messages = messagesNow();
      assert.ok(messages.includes('closing the connections still open'), server.lastLines());
      assert.ok(messages.includes('stopped'), server.lastLines());
    } finally {
      clearInterval(trickle);
      slow.socket.destroy();
    }
  });

  it('a request arriving on an open connection while shutting down gets 503 SHUTTING_DOWN, problem+json', async () => {
    const server = new ServerProcess(await freePort(), ['--db', join(dir, 'closing.sqlite')], {
      WEBINAR_EVENTS_SHUTDOWN_GRACE_S: '2',
    });
    await server.start();
    const conn = await open(server.port);
    // A request whose body is still coming keeps the connection busy (so the server does not close it as idle).
    conn.socket.write(
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[',
    );
    await sleep(200);
    const stopped = server.stop(20_000);
    await sleep(300);
    // The body ends, and a second request follows on the same connection: a readiness probe, the request that
    // matters most at this moment (its route has a response schema of its own, which must not swallow the 503).
    conn.socket.write(']GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await stopped, 0, server.lastLines());
    const text = conn.received();
    const responses = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(responses.length, 2, text);
    assert.match(responses[1]!, /^HTTP\/1\.1 503/);
    assert.match(responses[1]!, /content-type: application\/problem\+json/i);
    assert.match(responses[1]!, /retry-after: 1/i);
    assert.match(responses[1]!, /"code":"SHUTTING_DOWN"/);
    conn.socket.destroy();
  });
});
