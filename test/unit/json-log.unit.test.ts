import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLog } from '../../src/cli/json-log.js';

describe('worker logs: the same JSON line shape as serve (pino)', () => {
  it('numeric level, epoch-ms time, pid, hostname, the base fields, msg; filtered by level', () => {
    const lines: string[] = [];
    const log = jsonLog('warn', { worker: 'relay' }, (line) => lines.push(line));
    log.info('dropped under warn');
    log.warn('cannot reach the bus; retrying', { error: 'ECONNREFUSED' });
    log.error('step failed; retrying');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(first['level'], 40);
    assert.equal(typeof first['time'], 'number');
    assert.ok(Math.abs((first['time'] as number) - Date.now()) < 60_000);
    assert.equal(first['pid'], process.pid);
    assert.equal(typeof first['hostname'], 'string');
    assert.equal(first['worker'], 'relay');
    assert.equal(first['error'], 'ECONNREFUSED');
    assert.equal(first['msg'], 'cannot reach the bus; retrying');
    assert.equal((JSON.parse(lines[1]!) as Record<string, unknown>)['level'], 50);
    const silent: string[] = [];
    jsonLog('silent', {}, (line) => silent.push(line)).error('nothing');
    assert.deepEqual(silent, []);
  });
});
