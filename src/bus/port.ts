/** Where stored events are published for consumers: NATS JetStream in the scale runtime. */
export interface EventBus {
  readonly kind: string;
  /** Publishes events (CloudEvents with `position`), each deduplicated by the broker on its unique key. */
  publish(events: ReadonlyArray<Record<string, unknown>>): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The unique key of a stored event (SPEC §8 `Nats-Msg-Id`): its `source` and `id`, each URI-encoded, joined by a
 * space, so that no two keys collide and the header stays printable.
 */
export function messageId(event: Record<string, unknown>): string {
  return `${encodeURIComponent(String(event['source']))} ${encodeURIComponent(String(event['id']))}`;
}
