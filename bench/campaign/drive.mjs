// The campaign benchmark's client: creates a transactional campaign (no rate
// cap, no window) to list LIST, asks its summary, launches it, then polls
// /metrics until every message has its receipt. Prints one JSON line.
// Usage: node drive.mjs API KEY LIST N [PID]
import { readFileSync } from 'node:fs';

const [api, key, listArg, nArg, pidArg] = process.argv.slice(2);
const N = Number(nArg);
const pid = pidArg ? Number(pidArg) : 0;
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

let peakKb = 0;
function sampleRss() {
    if (!pid) return;
    try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch { /* gone */ }
}

// The dispatcher's counters: no query of the store.
async function counters() {
    const t = await (await fetch(`${api}/metrics`)).text();
    const out = {};
    for (const line of t.split('\n')) {
        const m = /^relais_dispatch_([a-z_]+)_total (\d+)/.exec(line);
        if (m) out[m[1]] = Number(m[2]);
    }
    return out;
}

async function call(method, path, body) {
    const r = await fetch(`${api}${path}`, { method, headers, body: body && JSON.stringify(body) });
    const j = await r.json();
    if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
    return j;
}

const c = await call('POST', '/v1/campaigns', {
    name: 'bench', category: 'transactional', sender: 'Bench',
    template: 'Bonjour #firstname|client#, votre code est #code#', audience: { lists: [Number(listArg)] },
});
let t = performance.now();
const s = await call('GET', `/v1/campaigns/${c.id}/summary`);
const summaryS = (performance.now() - t) / 1000;
sampleRss();
const t0 = performance.now();
const l = await call('POST', `/v1/campaigns/${c.id}/launch`);
const launchS = (performance.now() - t0) / 1000;
sampleRss();
let counts = {};
for (;;) {
    sampleRss();
    counts = await counters();
    const done = ['receipts', 'failed', 'rejected', 'expired'].reduce((a, k) => a + (counts[k] || 0), 0);
    if (done >= l.messages) break;
    await new Promise((r) => setTimeout(r, 100));
}
const totalS = (performance.now() - t0) / 1000;
sampleRss();
console.log(JSON.stringify({
    contacts: N, recipients: s.recipients, messages: l.messages,
    summary_s: +summaryS.toFixed(2), summary_per_s: Math.round(s.recipients / summaryS),
    launch_s: +launchS.toFixed(2), expansion_per_s: Math.round(l.messages / launchS),
    total_s: +totalS.toFixed(2), end_to_end_per_s: Math.round(l.messages / totalS),
    receipts: counts.receipts || 0, failed: counts.failed || 0, retried: counts.retried || 0,
    peak_rss_mb: +(peakKb / 1024).toFixed(1),
}));
