import { existsSync } from 'node:fs';
import type { Config } from '../config.js';

/**
 * For commands that read what is stored (`report`, `evaluate`): an SQLite file that does not exist is a mistyped
 * path, not a new store; opening it would create an empty database and answer with zeros.
 */
export function assertExistingStore(config: Config): void {
  if (config.postgres !== undefined || config.db === ':memory:' || existsSync(config.db)) return;
  throw new Error(
    `no database at ${config.db} (serve and ingest create one; give --db or WEBINAR_EVENTS_DB for another)`,
  );
}
