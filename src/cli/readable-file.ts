import { accessSync, constants, statSync } from 'node:fs';

/** Throws a one-line error unless `path` is a file (or FIFO) this process can read. */
export function assertReadableFile(path: string): void {
  let kind: string;
  try {
    const stat = statSync(path);
    kind = stat.isDirectory() ? 'a directory' : '';
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new Error(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (kind !== '') throw new Error(`cannot read ${path}: it is ${kind}`);
}
