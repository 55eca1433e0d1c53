// The pipeline benchmark's client: posts N messages through POST
// /v1/messages/batch (BATCH per request, CONC requests at once), then polls
// /metrics until every message has its receipt. Prints one JSON line.
// Usage: node drive.mjs API KEY N [BATCH] [CONC] [PID]
const [api, key, nArg, batchArg, concArg, pidArg] = process.argv.slice(2);
const N = Number(nArg);
const BATCH = Number(batchArg || 10000);
const CONC = Number(concArg || 2);
const pid = pidArg ? Number(pidArg) : 0;
import { readFileSync } from 'node:fs';

const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
// Unique recipients: French mobiles +336 followed by 8 digits.
function body(start, n) {
    const msgs = new Array(n);
    for (let i = 0; i < n; i++) {
        const num = String(10000000 + start + i).slice(-8);
        msgs[i] = { to: `+336${num}`, from: 'Bench', text: `Votre code est ${start + i}` };
    }
    return JSON.stringify({ messages: msgs });
}

let peakKb = 0;
function sampleRss() {
    if (!pid) return;
    try {
        const s = readFileSync(`/proc/${pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+)/.exec(s);
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch { /* gone */ }
}

// The dispatcher's counters: reading them costs no query of the store (the
// relais_messages gauge counts the table, too slow to poll at 1M rows).
async function counters() {
    const r = await fetch(`${api}/metrics`);
    const t = await r.text();
    const out = {};
    for (const line of t.split('\n')) {
        const m = /^relais_dispatch_([a-z_]+)_total (\d+)/.exec(line);
        if (m) out[m[1]] = Number(m[2]);
    }
    return out;
}

const lat = [];
let next = 0;
const t0 = performance.now();
async function worker() {
    for (;;) {
        const start = next;
        if (start >= N) return;
        const n = Math.min(BATCH, N - start);
        next += n;
        const b = body(start, n);
        const t = performance.now();
        const r = await fetch(`${api}/v1/messages/batch`, { method: 'POST', headers, body: b });
        const j = await r.json();
        lat.push(performance.now() - t);
        if (r.status !== 200 && r.status !== 202 && r.status !== 207)
            throw new Error(`batch: HTTP ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
    }
}
await Promise.all(Array.from({ length: CONC }, worker));
const tApi = performance.now();
let counts = {};
for (;;) {
    sampleRss();
    counts = await counters();
    const done = ['receipts', 'failed', 'rejected', 'expired'].reduce((a, s) => a + (counts[s] || 0), 0);
    if (done >= N) break;
    await new Promise((r) => setTimeout(r, 100));
}
const tEnd = performance.now();
sampleRss();
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
console.log(JSON.stringify({
    n: N, batch: BATCH, conc: CONC,
    api_s: +((tApi - t0) / 1000).toFixed(2),
    total_s: +((tEnd - t0) / 1000).toFixed(2),
    msgs_per_s: Math.round(N / ((tEnd - t0) / 1000)),
    accept_per_s: Math.round(N / ((tApi - t0) / 1000)),
    batch_p50_ms: +q(0.5).toFixed(1), batch_p99_ms: +q(0.99).toFixed(1),
    receipts: counts.receipts || 0, failed: counts.failed || 0, retried: counts.retried || 0,
    peak_rss_mb: +(peakKb / 1024).toFixed(1),
}));
