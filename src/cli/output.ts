/** Where a command writes; buffered by the caller so a million `--json` lines do not block one by one. */
export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Calls `listener` once if the reader of stdout goes away (EPIPE: `… | head`). */
  onReaderGone?(listener: () => void): void;
}

/** Writes lines to the process streams through a buffer flushed at 64 KiB and at exit. */
export class ProcessOutput implements Output {
  private buffer: string[] = [];
  private size = 0;
  private readerGone = false;
  private readonly listeners: Array<() => void> = [];

  constructor() {
    // A reader that goes away (`ingest --json | head`) is not a crash: output stops, and the command is told.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (this.readerGone) return;
      this.readerGone = true;
      this.buffer = [];
      for (const listener of this.listeners.splice(0)) listener();
    });
  }

  onReaderGone(listener: () => void): void {
    if (this.readerGone) listener();
    else this.listeners.push(listener);
  }

  stdout(line: string): void {
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 65536) this.flush();
  }

  stderr(line: string): void {
    this.flush();
    process.stderr.write(`${line}\n`);
  }

  flush(): void {
    if (this.readerGone) this.buffer = [];
    if (this.buffer.length === 0) return;
    process.stdout.write(`${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.size = 0;
  }
}
