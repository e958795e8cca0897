import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from './problem.js';

/** console/ of the package: this file is dist/src/http/console-routes.js. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only plain file names directly in console/: no dots before the extension, no slashes, so no traversal. */
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

/** The console talks to this origin only; no inline script, no external font, script or style. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Reads the whitelisted files of `dir` once; an absent directory gives none (the routes then answer 404). */
export function loadConsoleFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of names) {
    if (!FILE_NAME.test(name)) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, type: CONTENT_TYPES[extname(name)]!, etag });
  }
  return files;
}

/**
 * The operator console: static files from console/ at /console (index.html) and /console/<file>. Public: the files
 * hold no data; everything they show comes from the API, with the token the operator enters.
 */
export function consoleRoutes(app: FastifyInstance, options: { dir?: string } = {}): void {
  const files = loadConsoleFiles(options.dir ?? CONSOLE_DIR);

  const serve = (name: string, request: FastifyRequest, reply: FastifyReply) => {
    const file = FILE_NAME.test(name) ? files.get(name) : undefined;
    if (file === undefined) {
      return sendProblem(
        reply,
        problem(404, 'NOT_FOUND', 'No such console file', {
          detail: files.size === 0 ? 'the console files are not installed' : `GET /console/${name}`,
        }),
      );
    }
    reply.headers({ ...SECURITY_HEADERS, etag: file.etag });
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  const hidden = { schema: { hide: true } };
  app.get('/console', hidden, (request, reply) => serve('index.html', request, reply));
  app.get('/console/', hidden, (request, reply) => serve('index.html', request, reply));
  app.get('/console/:file', hidden, (request, reply) =>
    serve((request.params as { file: string }).file, request, reply),
  );
}
