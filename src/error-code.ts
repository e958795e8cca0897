/** The `code` a Node, SQLite or PostgreSQL error carries (`ECONNRESET`, `SQLITE_FULL`, `53100`), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}
