import { accessSync, constants, statSync, type Stats } from 'node:fs';

/** Throws a one-line error unless `path` is a file (or FIFO) this process can read. */
export function assertReadableFile(path: string): void {
  let stat: Stats;
  try {
    stat = statSync(path);
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new Error(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (stat.isDirectory()) throw new Error(`cannot read ${path}: it is a directory`);
}
