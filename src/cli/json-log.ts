import { hostname } from 'node:os';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type Level = keyof typeof LEVELS;

/** The names LOG_LEVEL may take, most severe first: pino's levels (serve's logger) and `silent`; jsonLog takes the same. */
export const LOG_LEVELS: readonly string[] = [...Object.keys(LEVELS).reverse(), 'silent'];

export interface JsonLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * JSON lines in the shape `serve` logs (pino's: numeric `level`, epoch-ms `time`, `pid`, `hostname`, `msg`), for
 * the commands that run as services without Fastify (`worker`), so one log pipeline reads them all. Lines under
 * `level` (LOG_LEVEL's names; `silent` writes nothing) are dropped. Written at once, unbuffered.
 */
export function jsonLog(
  level: string,
  base: Record<string, unknown>,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): JsonLog {
  const threshold = level === 'silent' ? Infinity : (LEVELS[level as Level] ?? LEVELS.info);
  const host = hostname();
  const at =
    (name: Level) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      if (LEVELS[name] < threshold) return;
      write(
        JSON.stringify({
          level: LEVELS[name],
          time: Date.now(),
          pid: process.pid,
          hostname: host,
          ...base,
          ...fields,
          msg,
        }),
      );
    };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}
