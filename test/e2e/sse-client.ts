/**
 * A Server-Sent Events reader over fetch for the tests: it parses the stream as a browser would (fields, blank line
 * ends a message, comments) and hands messages out with bounded waits. Not a test file itself.
 */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  private taken = 0;
  private waiters: Array<() => void> = [];
  private ended = false;
  private failure: unknown = null;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {}

  /** Opens the stream; resolves once the response headers arrived (the status may be an error). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} in 5 s`)), 5000);
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    clearTimeout(timer);
    const client = new SseClient(response, controller);
    if (response.ok && response.body !== null) void client.read(response.body);
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let fields: { id?: string; event?: string; data?: string } = {};
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') {
            if (fields.data !== undefined) {
              this.messages.push({ id: fields.id, event: fields.event, data: fields.data });
            }
            fields = {};
            this.wake();
            continue;
          }
          if (line.startsWith(':')) {
            this.comments.push(line.slice(1).trim());
            this.wake();
            continue;
          }
          const colon = line.indexOf(':');
          const name = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (name === 'data') fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
          else if (name === 'id') fields.id = value;
          else if (name === 'event') fields.event = value;
        }
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.failure = error;
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `predicate` holds (checked on every message, comment and end), at most `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.failure !== null) throw this.failure;
      if (this.ended) throw new Error(`the stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length} messages`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next `n` messages not yet taken. */
  async take(n: number, timeoutMs = 5000): Promise<SseMessage[]> {
    await this.until(() => this.messages.length >= this.taken + n, timeoutMs, `${n} more messages`);
    const out = this.messages.slice(this.taken, this.taken + n);
    this.taken += n;
    return out;
  }

  /** Waits `ms` and returns the messages that arrived meanwhile (for asserting that nothing more comes). */
  async drainFor(ms: number): Promise<SseMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.messages.slice(this.taken);
    this.taken = this.messages.length;
    return out;
  }

  close(): void {
    this.controller.abort();
  }
}

/** The CloudEvent of a message. */
export function eventOf(message: SseMessage): Record<string, unknown> {
  return JSON.parse(message.data) as Record<string, unknown>;
}
