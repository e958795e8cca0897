/** Progress on stderr when it is a terminal: one line, rewritten at most every 100 ms. */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    enabled = process.stderr.isTTY === true,
    private readonly unit = 'lines',
  ) {
    this.enabled = enabled;
  }

  update(done: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    process.stderr.write(
      `\r${this.label}: ${done.toLocaleString('en')} ${this.unit}, ${rate.toLocaleString('en')}/s ${detail}\x1b[K`,
    );
  }

  done(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
