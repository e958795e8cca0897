/** The last position in the log, 0 when empty. */
export const readHead = 'SELECT coalesce(max(position), 0) AS head FROM events';
