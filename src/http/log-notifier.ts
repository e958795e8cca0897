/**
 * An in-process doorbell rung after events are appended to the log (by intake or by the in-process processors).
 * It carries no data: listeners (the SSE streams) re-read the store, so a missed or coalesced ring loses nothing;
 * it only lets them see new events sooner than their next poll.
 */
export class LogNotifier {
  private readonly listeners = new Set<() => void>();

  /** Registers `listener`; returns the function that unregisters it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the others still hear the bell.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
