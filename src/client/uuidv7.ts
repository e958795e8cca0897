/**
 * UUIDv7 (RFC 9562): 48-bit Unix time in ms, version 7, a 12-bit counter (method 1 of §6.2, seeded at random
 * each new millisecond with its top bit clear), variant 10, 62 random bits. Ids from one generator are strictly
 * increasing, also within one millisecond and when the clock steps back. Uses only `crypto.getRandomValues`.
 */
export const UUIDV7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface UuidV7Options {
  /** Milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Fills its argument with random bytes; `crypto.getRandomValues` by default. */
  readonly random?: (bytes: Uint8Array) => void;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const COUNTER_MAX = 0xfff;

function defaultRandom(bytes: Uint8Array): void {
  globalThis.crypto.getRandomValues(bytes);
}

/** A generator of monotonic UUIDv7 strings (lowercase; their string order is their time order). */
export function createUuidV7(options: UuidV7Options = {}): () => string {
  const now = options.now ?? Date.now;
  const random = options.random ?? defaultRandom;
  let lastMs = -1;
  let counter = 0;
  return () => {
    const bytes = new Uint8Array(16);
    random(bytes);
    const seed = ((bytes[6]! & 0x07) << 8) | bytes[7]!;
    const ms = Math.floor(now());
    if (ms > lastMs) {
      lastMs = ms;
      counter = seed;
    } else if (counter < COUNTER_MAX) {
      counter++;
    } else {
      // Counter exhausted within one millisecond: borrow the next one.
      lastMs++;
      counter = seed;
    }
    let time = lastMs;
    for (let i = 5; i >= 0; i--) {
      bytes[i] = time % 256;
      time = Math.floor(time / 256);
    }
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    let out = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
      out += HEX[bytes[i]!];
    }
    return out;
  };
}

/** The shared generator. */
export const uuidv7: () => string = createUuidV7();

/** The millisecond timestamp of a UUIDv7. */
export function uuidv7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
