import { statSync } from 'node:fs';
import type { Config } from '../config.js';

/**
 * For commands that read what is stored (`report`, `evaluate`, `rejections`): an SQLite file that does not exist
 * is a mistyped path, not a new store; opening it would create an empty database and answer with zeros. An empty
 * file (0 bytes, as `touch` or a failed copy leaves) holds no database either, and is left as it is.
 */
export function assertExistingStore(config: Config): void {
  if (config.postgres !== undefined || config.db === ':memory:') return;
  const size = fileSize(config.db);
  if (size !== undefined && size > 0) return;
  throw new Error(
    `no database at ${config.db}${size === 0 ? ' (the file is empty)' : ''} (serve and ingest create one; give --db or WEBINAR_EVENTS_DB for another)`,
  );
}

/** The file's size in bytes, or undefined when there is no file to stat. */
export function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
