import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { STREAM_NAME, SUBJECT_PREFIX } from '../contract/index.js';
import { messageId, type EventBus } from './port.js';
import { DUPLICATE_WINDOW_NS, type StreamRetention } from './retention.js';

const PUBLISH_CONCURRENCY = 256;

/** NATS JetStream: stream WEBINAR_EVENTS, subjects webinar.events.<type>, Nats-Msg-Id = the event's key. */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats';
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
  ) {}

  /**
   * Connects and creates (or updates) the stream. Retention limits are set only when given; otherwise the
   * stream's own (unlimited when it is created here, or whatever an operator set) stay.
   */
  static async open(
    url: string,
    name = 'webinar-events',
    retention: StreamRetention = {},
  ): Promise<NatsEventBus> {
    const nc = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    try {
      const jsm = await jetstreamManager(nc);
      const config = {
        subjects: [`${SUBJECT_PREFIX}>`],
        duplicate_window: DUPLICATE_WINDOW_NS,
        description: 'Every event stored by webinar-events, client and derived, in log order.',
        ...(retention.maxAgeNs !== undefined && { max_age: retention.maxAgeNs }),
        ...(retention.maxBytes !== undefined && { max_bytes: retention.maxBytes }),
      };
      try {
        await jsm.streams.info(STREAM_NAME);
        await jsm.streams.update(STREAM_NAME, config);
      } catch (error) {
        if (!/not found/i.test((error as Error).message)) throw error;
        await jsm.streams.add({ name: STREAM_NAME, ...config });
      }
      return new NatsEventBus(nc, jetstream(nc));
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  async publish(events: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    try {
      await this.publishAll(events);
    } catch (error) {
      // The client's own messages ("timeout", "connection closed") do not say which server.
      throw new Error(`publishing to NATS failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async publishAll(events: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    for (let i = 0; i < events.length; i += PUBLISH_CONCURRENCY) {
      const chunk = events.slice(i, i + PUBLISH_CONCURRENCY);
      await Promise.all(
        chunk.map((event) =>
          this.js.publish(
            `${SUBJECT_PREFIX}${String(event['type'])}`,
            this.encoder.encode(JSON.stringify(event)),
            {
              msgID: messageId(event),
            },
          ),
        ),
      );
    }
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection is closed');
    await this.nc.flush();
  }

  /**
   * Drains (publishes in flight finish), but gives up after `graceMs` and closes: while NATS is unreachable a drain
   * fails or never ends (the client reconnects forever), and a stopping process must not hang on it. Cutting loses
   * nothing: the relay's checkpoint moves only past publishes JetStream acknowledged.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.nc.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    try {
      const outcome = await Promise.race([this.nc.drain().then(() => 'drained' as const), timeout]);
      if (outcome === 'timeout') await this.nc.close();
    } catch {
      await this.nc.close();
    } finally {
      clearTimeout(timer);
    }
  }
}
