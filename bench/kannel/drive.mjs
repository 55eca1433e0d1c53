// The side-by-side benchmark's client: sends N messages to unique recipients
// and measures API-to-receipt, from the first request to the last message
// having its final receipt. One driver for both gateways, so that both pay
// the same client costs.
//
// Usage: node drive.mjs MODE URL N CONC OFFSET [ARG]
//   kannel  URL = smsbox's sendsms base, ARG = the DLR sink's base URL:
//           one GET /cgi-bin/sendsms per message (dlr-mask=3, dlr-url to the
//           sink), done when the sink has counted N more final reports.
//   single  URL = relais's API, ARG = API key: one POST /v1/messages per message.
//   batch   URL = relais's API, ARG = API key: POST /v1/messages/batch with
//           1,000 messages each, CONC requests at once.
//   relais modes are done once /metrics counts N more receipts received (the
//   dispatcher's live counters) and then no message of the run is left in a
//   non-final state in the store (GET /v1/messages?status=...&since=...: the
//   committed state). The relais_messages gauges are not used: relais caches
//   them for up to a second, which would be measured as latency.
// Recipients are +336 followed by 8 digits from OFFSET on, so runs that share
// a gateway never repeat a number.
//
// Prints one line for people; with BENCH_RESULTS=FILE also appends the figures
// as a JSON line, tagged BENCH_LABEL (and warmup when BENCH_WARMUP=1), for
// summary.mjs. BENCH_PIDS="name:pid ..." names processes whose CPU time during
// the run is reported (from /proc).
import http from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';

const [mode, base, nArg, concArg, offArg, extra] = process.argv.slice(2);
const N = Number(nArg);
const CONC = Number(concArg);
const OFFSET = Number(offArg || 0);
const BATCH = 1000;
if (!['kannel', 'single', 'batch'].includes(mode) || !(N > 0) || !(CONC > 0) || !extra) {
    console.error('usage: node drive.mjs kannel|single|batch URL N CONC OFFSET SINK_URL|KEY');
    process.exit(2);
}

const now = () => performance.timeOrigin + performance.now();
// A gateway that goes away mid-run: one line, not a stack trace.
const fail = (e) => {
    console.log(`  run failed: ${e.code || ''} ${e.message}`);
    process.exit(1);
};
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);
// One keep-alive connection per concurrent request, as a client library in a
// busy application would hold them; never more, so CONC is the concurrency.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONC, maxFreeSockets: CONC });

function request(method, url, headers, body) {
    return new Promise((resolve, reject) => {
        const rq = http.request(url, { method, agent, headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
            res.on('error', reject);
        });
        rq.on('error', reject);
        rq.end(body);
    });
}

// 8 digits after +336: 10000000 + i stays in 06 1x xx xx xx, all mobile in
// libphonenumber's metadata, for the first 10 million numbers (06 39 and
// most of 06 9x are not mobile ranges: a refused number is not a measure).
if (OFFSET + N > 10000000) {
    console.error('drive.mjs: OFFSET + N must stay within 10,000,000 recipients');
    process.exit(2);
}
const msisdn = (i) => `+336${10000000 + OFFSET + i}`;
const text = (i) => `Votre code est ${OFFSET + i}`;

let sendOne; // (index, count) -> Promise<errors>
let doneCount; // () -> Promise<number of final outcomes so far>
let settled = async () => true; // () -> Promise<every outcome committed?>
let lastAt = null; // () -> Promise<wall ms of the last outcome> (kannel)

if (mode === 'kannel') {
    const sink = extra;
    const dlrUrl = encodeURIComponent(`${sink}/dlr?type=%d`);
    const prefix = `${base}/cgi-bin/sendsms?username=bench&password=bench&from=Bench&dlr-mask=3&dlr-url=${dlrUrl}`;
    sendOne = async (i) => {
        const url = `${prefix}&to=${encodeURIComponent(msisdn(i))}&text=${encodeURIComponent(text(i))}`;
        const r = await request('GET', url, {});
        return r.status === 202 ? 0 : 1;
    };
    const count = async () => JSON.parse((await request('GET', `${sink}/count`, {})).body);
    doneCount = async () => {
        const c = await count();
        return c.delivered + c.failed;
    };
    lastAt = async () => (await count()).last_ms;
} else {
    const headers = { authorization: `Bearer ${extra}`, 'content-type': 'application/json' };
    const one = (i) => ({ to: msisdn(i), from: 'Bench', text: text(i) });
    if (mode === 'single') {
        sendOne = async (i) => {
            const r = await request('POST', `${base}/v1/messages`, headers, JSON.stringify(one(i)));
            return r.status === 202 ? 0 : 1;
        };
    } else {
        sendOne = async (i, n) => {
            const msgs = Array.from({ length: n }, (_, k) => one(i + k));
            const r = await request('POST', `${base}/v1/messages/batch`, headers, JSON.stringify({ messages: msgs }));
            if (r.status !== 200) return n;
            return JSON.parse(r.body).results.filter((x) => x.error).length;
        };
    }
    const outcomes = ['receipts', 'failed', 'rejected', 'expired'];
    doneCount = async () => {
        const t = (await request('GET', `${base}/metrics`, {})).body;
        let sum = 0;
        for (const m of t.matchAll(/^relais_dispatch_([a-z]+)_total (\d+)$/gm))
            if (outcomes.includes(m[1])) sum += Number(m[2]);
        return sum;
    };
    // Messages created since a second before the run (earlier runs' messages
    // are all final by then, so the margin only guards against clock rounding).
    const pending = ['scheduled', 'queued', 'submitting', 'submitted', 'retrying'];
    settled = async () => {
        const since = new Date(t0 - 1000).toISOString();
        const rs = await Promise.all(pending.map((st) =>
            request('GET', `${base}/v1/messages?status=${st}&since=${since}&limit=1`, headers)));
        for (const r of rs) {
            if (r.status !== 200) throw new Error(`GET /v1/messages: HTTP ${r.status} ${r.body.slice(0, 200)}`);
            if (JSON.parse(r.body).messages.length) return false;
        }
        return true;
    };
}

const pids = (process.env.BENCH_PIDS || '').split(' ').filter(Boolean).map((x) => x.split(':'));
const hz = 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s on Linux
function cpuOf(pid) {
    try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(f[11]) + Number(f[12])) / hz; // utime, stime (fields 14, 15)
    } catch {
        return 0;
    }
}
const cpuBefore = pids.map(([, pid]) => cpuOf(pid));

const before = await doneCount();
const step = mode === 'batch' ? BATCH : 1;
let next = 0;
let errors = 0;
const cpu0 = process.cpuUsage();
const t0 = now();
async function worker() {
    while (next < N) {
        const i = next;
        const n = Math.min(step, N - i);
        next += n;
        errors += await sendOne(i, n);
    }
}
try {
    await Promise.all(Array.from({ length: CONC }, worker));
} catch (e) {
    console.log(`  run failed after ${next} requests: ${e.code || ''} ${e.message}`);
    process.exit(1);
}
const tApi = now();
const cpuSend = process.cpuUsage(cpu0);

// Polls until N more outcomes: every 100 ms while far from the end, then
// sooner as the remainder shrinks (at least every 5 ms), so the wait adds
// little to the measured time without loading the gateway. Gives up after
// 30 s without progress: a lost message is a finding, not a hang.
let seen = 0;
let tSeen = now();
let tEnd;
for (;;) {
    const d = (await doneCount()) - before;
    const t = now();
    if (d >= N && (await settled())) {
        tEnd = now();
        break;
    }
    if (d > seen) [seen, tSeen] = [d, t];
    if (t - tSeen > 30000) {
        console.log(JSON.stringify({ mode, n: N, error: `stalled: ${d} of ${N} outcomes, none for 30 s`, errors }));
        process.exit(1);
    }
    const rate = d / Math.max(1, t - t0); // outcomes per ms so far
    const eta = rate > 0 ? (N - d) / rate : 100;
    await new Promise((r) => setTimeout(r, Math.max(5, Math.min(100, eta / 2))));
}
// Kannel's sink stamped the last report itself: exact, where the relais
// figure is the moment a poll saw the last commit (a few ms late, if anything).
if (lastAt) tEnd = await lastAt();
agent.destroy();

const total = (tEnd - t0) / 1000;
const accept = (tApi - t0) / 1000;
const cpu = Object.fromEntries(pids.map(([name, pid], k) => [name, +(cpuOf(pid) - cpuBefore[k]).toFixed(2)]));
cpu.driver = +((cpuSend.user + cpuSend.system) / 1e6).toFixed(2);
const r = {
    label: process.env.BENCH_LABEL || mode,
    warmup: process.env.BENCH_WARMUP === '1',
    mode, n: N, conc: CONC,
    accept_s: +accept.toFixed(3),
    total_s: +total.toFixed(3),
    accept_per_s: Math.round(N / accept),
    msgs_per_s: Math.round(N / total),
    errors,
    cpu_s: cpu,
    idle: process.env.BENCH_IDLE || '',
};
if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, JSON.stringify(r) + '\n');
const cpuText = Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
console.log(`  ${r.warmup ? 'warm-up' : 'run    '} ${String(r.msgs_per_s).padStart(6)} msgs/s  ` +
    `(${N} in ${total.toFixed(2)} s; API accepted all in ${accept.toFixed(2)} s)  ` +
    `non-2xx ${errors}  CPU s: ${cpuText}${r.idle ? `  [${r.idle}]` : ''}`);
