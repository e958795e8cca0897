import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsEventBus } from '../../src/bus/nats-bus.js';
import { DUPLICATE_WINDOW_NS, parseBytes, parseDuration, streamRetention } from '../../src/bus/retention.js';
import { resolveConfig } from '../../src/config.js';
import { STREAM_NAME } from '../../src/contract/index.js';
import { natsUrl, serviceAvailable } from './services.js';

const HOUR_NS = 3600e9;

describe('stream retention settings (WEBINAR_EVENTS_STREAM_MAX_AGE, WEBINAR_EVENTS_STREAM_MAX_BYTES)', () => {
  it('reads durations and sizes, and refuses anything else with the setting named', () => {
    assert.equal(parseDuration('90s', 'X'), 90e9);
    assert.equal(parseDuration('15m', 'X'), 15 * 60e9);
    assert.equal(parseDuration('12h', 'X'), 12 * HOUR_NS);
    assert.equal(parseDuration('7d', 'X'), 7 * 24 * HOUR_NS);
    for (const bad of ['', '0h', '7', '1w', '1.5h', '-1d', 'forever']) {
      assert.throws(() => parseDuration(bad, 'X'), /^Error: X must be a positive duration/, bad);
    }
    assert.equal(parseBytes('1048576', 'X'), 2 ** 20);
    assert.equal(parseBytes('512MiB', 'X'), 512 * 2 ** 20);
    assert.equal(parseBytes('10G', 'X'), 10 * 2 ** 30);
    assert.equal(parseBytes('10gb', 'X'), 10 * 2 ** 30);
    assert.equal(parseBytes('1 TiB', 'X'), 2 ** 40);
    for (const bad of ['', '0', '10PB', '1.5GB', '-5', 'lots', '99999999999999T']) {
      assert.throws(() => parseBytes(bad, 'X'), /^Error: X must be a positive size/, bad);
    }
  });

  it('unset leaves the stream as it is; the age must cover the duplicate window', () => {
    assert.deepEqual(streamRetention({}), {});
    assert.deepEqual(resolveConfig({}, {}).streamRetention, {});
    assert.deepEqual(
      resolveConfig({}, { WEBINAR_EVENTS_STREAM_MAX_AGE: '7d', WEBINAR_EVENTS_STREAM_MAX_BYTES: '10GiB' })
        .streamRetention,
      { maxAgeNs: 7 * 24 * HOUR_NS, maxBytes: 10 * 2 ** 30 },
    );
    assert.equal(DUPLICATE_WINDOW_NS, 15 * 60e9);
    assert.throws(
      () => streamRetention({ WEBINAR_EVENTS_STREAM_MAX_AGE: '10m' }),
      /at least the duplicate window \(15 minutes\)/,
    );
  });
});

const available = await serviceAvailable('NATS', natsUrl());

describe('stream retention on a real JetStream', { skip: !available && 'NATS is down' }, () => {
  it('opening the bus with limits sets them; opening it without leaves them', async () => {
    const nc = await connect({ servers: natsUrl(), name: 'webinar-events-test-retention' });
    const jsm = await jetstreamManager(nc);
    // The stream is shared with the other suites: generous limits (nothing a test writes comes near them),
    // and the stream's own settings are put back at the end.
    const bootstrap = await NatsEventBus.open(natsUrl(), 'webinar-events-test-retention');
    await bootstrap.close();
    const before = (await jsm.streams.info(STREAM_NAME)).config;
    try {
      const limited = await NatsEventBus.open(natsUrl(), 'webinar-events-test-retention', {
        maxAgeNs: 48 * HOUR_NS,
        maxBytes: 20 * 2 ** 30,
      });
      await limited.close();
      let config = (await jsm.streams.info(STREAM_NAME)).config;
      assert.equal(config.max_age, 48 * HOUR_NS);
      assert.equal(config.max_bytes, 20 * 2 ** 30);
      assert.equal(config.duplicate_window, DUPLICATE_WINDOW_NS);

      const plain = await NatsEventBus.open(natsUrl(), 'webinar-events-test-retention');
      await plain.close();
      config = (await jsm.streams.info(STREAM_NAME)).config;
      assert.equal(config.max_age, 48 * HOUR_NS, 'an instance without the settings does not undo them');
      assert.equal(config.max_bytes, 20 * 2 ** 30);
    } finally {
      await jsm.streams.update(STREAM_NAME, { max_age: before.max_age, max_bytes: before.max_bytes });
      await nc.close();
    }
  });
});
