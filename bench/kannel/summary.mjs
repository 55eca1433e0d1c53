// Summarises bench/kannel/run's results file (one JSON line a run, from
// drive.mjs): per label the median of the measured runs (warm-ups left out),
// and each relais line's ratio to Kannel's median.
// Usage: node summary.mjs RESULTS.jsonl
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const labels = [...new Set(rows.map((r) => r.label))];
const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = {};
for (const l of labels) {
    const runs = rows.filter((r) => r.label === l && !r.warmup);
    if (runs.length) med[l] = { rate: median(runs.map((r) => r.msgs_per_s)), runs };
}
const kannel = med.kannel ? med.kannel.rate : 0;
const names = {
    kannel: 'Kannel 1.4.5, GET /cgi-bin/sendsms per message, no store',
    'normal-batch': 'relais NORMAL, POST /v1/messages/batch (1,000 each)',
    'normal-single': 'relais NORMAL, POST /v1/messages per message',
    'full-batch': 'relais FULL, POST /v1/messages/batch (1,000 each)',
    'full-single': 'relais FULL, POST /v1/messages per message',
};
const n = rows.length ? rows[0].n : 0;
console.log(`  N = ${n} messages a run; median of ${Math.max(...Object.values(med).map((m) => m.runs.length))} runs, API-to-receipt`);
for (const l of labels) {
    if (!med[l]) continue;
    const m = med[l];
    const all = m.runs.map((r) => r.msgs_per_s).join(', ');
    const errs = m.runs.reduce((a, r) => a + r.errors, 0);
    const ratio = l !== 'kannel' && kannel ? `  relais/Kannel ${(m.rate / kannel).toFixed(1)}x` : '';
    console.log(`  ${(names[l] || l).padEnd(56)} ${String(Math.round(m.rate)).padStart(6)} msgs/s  (runs: ${all}; non-2xx ${errs})${ratio}`);
}
