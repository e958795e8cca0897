/** Escapes one reference token of a JSON pointer (RFC 6901). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...tokens: readonly string[]): string {
  let out = '';
  for (const token of tokens) out += '/' + escapeToken(token);
  return out;
}
