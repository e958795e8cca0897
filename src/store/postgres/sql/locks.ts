/**
 * Advisory locks, all transaction-scoped but the migrations'. Keys are (namespace, lock): the namespace is a hash
 * of the schema, so stores in different schemas of one database do not wait for each other.
 */
export const lockTransaction = 'SELECT pg_advisory_xact_lock($1::int, $2::int)';
export const lockSession = 'SELECT pg_advisory_lock($1::int, $2::int)';
export const unlockSession = 'SELECT pg_advisory_unlock($1::int, $2::int)';
export const tryLockTransaction = 'SELECT pg_try_advisory_xact_lock($1::int, $2::int) AS held';
