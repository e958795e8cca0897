/**
 * A stub of POST /v1/events for the `http-single-ceiling` row: answers every request with 202 and `{}` as soon
 * as its body has arrived, and GET /healthz with 200. It measures what the load client and loopback can do on
 * this machine, not the service.
 *
 *   node dist/bench/stub-server.js PORT
 */
import http from 'node:http';

const port = Number(process.argv[2]);
const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const status = request.method === 'POST' ? 202 : 200;
    const body = request.method === 'POST' ? '{}' : '{"status":"ok"}';
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 75_000;
server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close();
  });
}
