import type { Socket } from 'node:net';
import { problem, type Problem } from './problem.js';

/** What the HTTP parser or the server's timeouts say about a connection, before any route sees a request. */
function clientProblem(
  error: { code?: unknown },
  timeouts: { headersMs: number; requestMs: number },
): Problem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'REQUEST_TIMEOUT', 'The request did not arrive in time', {
        detail: `the headers must arrive within ${timeouts.headersMs / 1000} s and the whole request within ${timeouts.requestMs / 1000} s`,
      });
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'HEADERS_TOO_LARGE', 'The request headers are too large', {
        detail: 'the request line and headers must fit in 16 KiB',
      });
    default:
      return problem(400, 'MALFORMED_HTTP', 'The request is not valid HTTP/1.1', {
        detail:
          typeof error.code === 'string'
            ? `the HTTP parser said ${error.code}`
            : 'the bytes received are not an HTTP/1.1 request',
      });
  }
}

/**
 * Node's 'clientError' (a request that timed out, headers too large, bytes that are not HTTP): answered as
 * problem+json with a stable `code`, like every other error, instead of Fastify's own JSON; then the connection is
 * closed, as Node does.
 */
export function clientErrorHandler(timeouts: {
  headersMs: number;
  requestMs: number;
}): (error: Error & { code?: unknown }, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection, or one already gone: nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const answer = clientProblem(error, timeouts);
      const body = JSON.stringify(answer);
      socket.write(
        `HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status]}\r\nContent-Type: application/problem+json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};
