/**
 * Refuses a database that has migrations this build does not know: written by a newer version of the service
 * (or migrated out of order). Opening it anyway would run old code against a newer schema, and apply missing
 * older migrations after newer ones. A rollback to an older binary stops here, with a message, instead.
 */
export function assertKnownSchema(
  applied: Iterable<number>,
  known: ReadonlyArray<{ readonly version: number }>,
  where: string,
): void {
  const versions = new Set(known.map((m) => m.version));
  const unknown = [...applied].filter((v) => !versions.has(v)).sort((a, b) => a - b);
  if (unknown.length === 0) return;
  const newest = Math.max(...versions);
  throw new Error(
    `${where} has schema migration ${unknown.join(', ')}, which this build does not know (it knows up to ` +
      `${newest}): it was written by a newer version of webinar-events. Run that version, or restore a backup ` +
      'made before the upgrade.',
  );
}
