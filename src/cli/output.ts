/** Where a command writes; buffered by the caller so a million `--json` lines do not block one by one. */
export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Writes lines to the process streams through a buffer flushed at 64 KiB and at exit. */
export class ProcessOutput implements Output {
  private buffer: string[] = [];
  private size = 0;

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
    if (this.buffer.length === 0) return;
    process.stdout.write(`${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.size = 0;
  }
}
