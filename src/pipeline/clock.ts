/** Wall-clock time as an RFC 3339 instant; injected so tests and replays can fix it. */
export type Clock = () => string;
export const systemClock: Clock = () => new Date().toISOString();
