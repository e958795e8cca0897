import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DrillServer, httpRequest } from '../../drills/common.js';

/**
 * §7 security: bearer tokens never reach the logs. A real `serve` child at LOG_LEVEL=debug with tokens configured
 * gets authorized and unauthorized requests carrying them in every place a client might put one; neither the
 * configured tokens nor the unknown ones presented appear anywhere in its stdout or stderr.
 */
describe('tokens are never logged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-tokens-'));
  const TOKENS = {
    ingest: 'ingest-Secret-9f3b1c2d4e5f6a7b8c9d',
    read: 'read-Secret-0a1b2c3d4e5f6a7b8c9d0e',
    admin: 'admin-Secret-5e6f7a8b9c0d1e2f3a4b',
  };
  const UNKNOWN = 'unknown-Secret-7c8d9e0f1a2b3c4d5e6f';
  let server: DrillServer | undefined;
  after(async () => {
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('§7: at LOG_LEVEL=debug no token string appears in the output, authorized or not', async () => {
    server = await DrillServer.create({
      args: ['--db', join(dir, 'tokens.sqlite')],
      env: {
        LOG_LEVEL: 'debug',
        WEBINAR_EVENTS_TOKENS: Object.entries(TOKENS)
          .map(([scope, token]) => `${scope}:${token}`)
          .join(','),
      },
    });
    await server.start('/healthz');
    const url = server.url;
    const event = {
      specversion: '1.0',
      id: 'tok-1',
      source: '/tokens',
      type: 'client_webinar_entered',
      data: { webinar_id: 'W-tok', timestamp: '2026-11-26T10:00:00Z' },
    };
    const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
    const post = (headers: Record<string, string>, body = JSON.stringify(event), path = '/v1/events') =>
      httpRequest(`${url}${path}`, { body, contentType: 'application/json', headers });
    const statuses: number[] = [];
    for (const answer of [
      await post(bearer(TOKENS.ingest)), // 202
      await post(bearer(TOKENS.ingest), '{"broken'), // 400, quarantined
      await post(bearer(TOKENS.read)), // 403
      await post(bearer(UNKNOWN)), // 401
      await post({}), // 401
      await post({ authorization: `Basic ${Buffer.from(`ingest:${TOKENS.ingest}`).toString('base64')}` }), // 401
      await post({ authorization: `Bearer ${TOKENS.ingest} ${TOKENS.admin}` }), // 401 (malformed)
      await post({ authorization: `bearer ${UNKNOWN}` }), // 401
      await post({ 'x-api-key': TOKENS.admin }), // 401
      await httpRequest(`${url}/v1/events?access_token=${UNKNOWN}`, { headers: bearer(TOKENS.read) }), // 200
      await httpRequest(`${url}/v1/events`, { headers: bearer(TOKENS.read) }), // 200
      await httpRequest(`${url}/v1/events`, { headers: bearer(TOKENS.ingest) }), // 403
      await httpRequest(`${url}/v1/rejections`, { headers: bearer(TOKENS.admin) }), // 200
      await post(bearer(TOKENS.admin), '', '/v1/webinars/W-tok/evaluate'), // 200
      await post(bearer(UNKNOWN), '', '/v1/webinars/W-tok/evaluate'), // 401
      await httpRequest(`${url}/v1/nowhere`, { headers: bearer(TOKENS.admin) }), // 404
      await httpRequest(`${url}/metrics`, { headers: bearer(UNKNOWN) }), // 200 (open)
    ]) {
      statuses.push(answer.status);
    }
    assert.deepEqual(
      statuses,
      [202, 400, 403, 401, 401, 401, 401, 401, 401, 200, 200, 403, 200, 200, 401, 404, 200],
    );
    await server.stop(); // the shutdown lines too
    const output = server.lines.join('\n');
    assert.match(
      output,
      /"level":(20|30)/,
      'the server logged at debug/info level: the check means something',
    );
    for (const token of [...Object.values(TOKENS), UNKNOWN]) {
      assert.ok(!output.includes(token), `${token.slice(0, 12)}… appears in the server output`);
      assert.ok(
        !output.includes(token.slice(0, 16)),
        `a prefix of ${token.slice(0, 12)}… appears in the output`,
      );
    }
    assert.ok(!output.includes(Buffer.from(`ingest:${TOKENS.ingest}`).toString('base64')));
  });
});
