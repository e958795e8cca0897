import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how a command was called: exit code 2 with the message and a pointer to --help. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(
  args: readonly string[],
  options: O,
  allowPositionals = true,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals, strict: true });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Exit codes; `interrupted` (SIGINT, SIGTERM, the reader of stdout gone) is 128 + SIGINT, as shells report it. */
export const EXIT = { ok: 0, failure: 1, usage: 2, rejected: 3, interrupted: 130 } as const;
