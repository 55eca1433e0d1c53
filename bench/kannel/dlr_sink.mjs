// The Kannel benchmark's delivery-report sink: smsbox fetches the dlr-url of
// each message once its final receipt is in, and this counts those calls by
// report type (1 delivered, 2 failed, anything else apart) and keeps the time
// of the first and the last one. GET /count answers the counters as JSON, so
// the driver reads the exact time of the last report instead of the time it
// happened to poll.
// Usage: node dlr_sink.mjs  (prints port=N once listening on 127.0.0.1)
import http from 'node:http';

// Wall-clock milliseconds with sub-millisecond precision, comparable across
// the sink and the driver (two processes on one machine).
const now = () => performance.timeOrigin + performance.now();
const c = { delivered: 0, failed: 0, other: 0, first_ms: 0, last_ms: 0 };

const server = http.createServer((req, res) => {
    if (req.url.startsWith('/dlr?')) {
        const t = now();
        const type = new URLSearchParams(req.url.slice(5)).get('type');
        if (type === '1') c.delivered++;
        else if (type === '2') c.failed++;
        else c.other++;
        if (!c.first_ms) c.first_ms = t;
        c.last_ms = t;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
        res.end('ok');
    } else if (req.url === '/count') {
        const b = JSON.stringify(c);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
        res.end(b);
    } else {
        res.writeHead(404, { 'content-length': 0 });
        res.end();
    }
});
// smsbox keeps its connections open between reports: never be the side that
// closes them in the middle of a run.
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => console.log(`port=${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
