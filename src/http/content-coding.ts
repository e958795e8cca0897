import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/**
 * The content coding of a request body (RFC 9110 §8.4): none (`identity`), `gzip` (also spelled `x-gzip`), or
 * anything else, which is not supported. Several codings (`gzip, gzip`) are not supported either.
 */
export function contentCoding(header: string | undefined): 'identity' | 'gzip' | { unsupported: string } {
  const coding = header?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity') return 'identity';
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  return { unsupported: coding.slice(0, 64) };
}

export type Decoded =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly tooLarge: boolean; readonly message: string };

/**
 * A gzip body decompressed, at most `maxBytes` of it: beyond, `tooLarge` (a small body that inflates without
 * bound is stopped there, not held). Decompressed off the event loop (zlib's thread pool).
 */
export async function gunzipBody(body: Buffer, maxBytes: number): Promise<Decoded> {
  try {
    return { ok: true, body: await gunzipAsync(body, { maxOutputLength: maxBytes }) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, tooLarge: true, message: `decompressed, the body is over ${maxBytes} bytes` };
    }
    return { ok: false, tooLarge: false, message: `the body is not valid gzip (${code ?? 'unreadable'})` };
  }
}
