import type { JudgedInput, Verdict } from '../intake/index.js';

type Commit = (inputs: JudgedInput[], origin: string) => Promise<Verdict[]>;

interface Waiting {
  readonly inputs: JudgedInput[];
  readonly origin: string;
  resolve(verdicts: Verdict[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests that arrive while a transaction is being written wait together, and the next
 * transaction takes them all (one commit, one fsync), still answering each with its own verdicts in order.
 * Each caller's promise settles only after the commit that holds its events.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private queued = 0;
  private running = false;

  constructor(
    private readonly commit: Commit,
    /** Most events one transaction takes; the rest wait for the next. */
    private readonly maxEvents = 5000,
  ) {}

  /** Events submitted and not yet committed. */
  get pending(): number {
    return this.queued;
  }

  submit(inputs: JudgedInput[], origin: string): Promise<Verdict[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    return new Promise<Verdict[]>((resolve, reject) => {
      this.queue.push({ inputs, origin, resolve, reject });
      this.queued += inputs.length;
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      const inputs = group.flatMap((w) => w.inputs);
      try {
        const verdicts = await this.commit(inputs, group[0]!.origin);
        let offset = 0;
        for (const waiting of group) {
          waiting.resolve(verdicts.slice(offset, offset + waiting.inputs.length));
          offset += waiting.inputs.length;
        }
      } catch (error) {
        for (const waiting of group) waiting.reject(error);
      } finally {
        this.queued -= inputs.length;
      }
      // Let requests that arrived meanwhile be read and queued before the next commit.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.running = false;
  }

  /** The oldest waiting requests of one origin, up to maxEvents (always at least one request). */
  private takeGroup(): Waiting[] {
    const origin = this.queue[0]!.origin;
    const group: Waiting[] = [];
    let events = 0;
    const rest: Waiting[] = [];
    for (const waiting of this.queue) {
      if (
        waiting.origin === origin &&
        (group.length === 0 || events + waiting.inputs.length <= this.maxEvents)
      ) {
        group.push(waiting);
        events += waiting.inputs.length;
      } else rest.push(waiting);
    }
    this.queue = rest;
    return group;
  }
}
