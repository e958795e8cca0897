/** The bookkeeping of the numbered migrations. */
export const currentSchema = 'SELECT current_schema() AS schema';
export const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;
export const appliedMigrations = 'SELECT version FROM schema_migrations';
export const recordMigration =
  'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)';
