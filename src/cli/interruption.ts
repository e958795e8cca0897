import { EXIT } from './args.js';

/**
 * Ctrl-C and SIGTERM for a command that stops at its next safe point (`ingest`, `replay`): the first signal is
 * announced and recorded in `reason`, which the command checks between its steps; a second one ends the process
 * at once (exit 130). `release()` removes the handlers.
 */
export class Interruption {
  /** Why the command is to stop (`SIGINT`, `SIGTERM`, what the command itself names), or null. */
  reason: string | null = null;
  private readonly onSigint = (): void => this.interrupt('SIGINT');
  private readonly onSigterm = (): void => this.interrupt('SIGTERM');

  constructor(private readonly announce: (why: string) => void) {
    process.on('SIGINT', this.onSigint);
    process.on('SIGTERM', this.onSigterm);
  }

  interrupt(why: string): void {
    if (this.reason !== null) process.exit(EXIT.interrupted);
    this.reason = why;
    this.announce(why);
  }

  release(): void {
    process.off('SIGINT', this.onSigint);
    process.off('SIGTERM', this.onSigterm);
  }
}
