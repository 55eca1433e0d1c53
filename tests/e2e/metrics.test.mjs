// GET /metrics as Prometheus scrapes it: `relais serve` on a fresh store
// without a route (no dispatcher: the store's gauges only), then with a route
// to `relais smsc-sim` after a message went through. Bounded polls, no sleep.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { relais, spawnWaiting, startPipeline } from './lib.mjs';

const STATES = ['draft', 'scheduled', 'queued', 'submitting', 'submitted', 'delivered',
  'partially_delivered', 'failed', 'expired', 'rejected', 'cancelled', 'retrying', 'unknown'];

async function stop(...procs) {
  for (const p of procs) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  }
  await Promise.all(procs.map((p) => p.exited));
}

// Fetches /metrics, checks the response and every line's syntax; returns
// {text, samples: Map('name{labels}' → number), types: Map(name → type)}.
async function scrape(url) {
  const r = await fetch(new URL('metrics', url));
  const text = await r.text();
  assert.equal(r.status, 200, text);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const samples = new Map();
  const types = new Map();
  const label = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
  const sample = new RegExp(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:${label})(?:,${label})*\\})? (\\S+)$`);
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        assert.match(m[3], /^(counter|gauge|histogram|summary|untyped)$/, line);
        types.set(m[2], m[3]);
      }
      continue;
    }
    m = sample.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    assert.ok(!Number.isNaN(Number(m[3])), `not a number: ${line}`);
    assert.ok(types.has(m[1].replace(/_(bucket|sum|count)$/, '')) || types.has(m[1]), `no TYPE before ${line}`);
    samples.set(m[1] + (m[2] || ''), Number(m[3]));
  }
  return { text, samples, types };
}

test('GET /metrics without a route: every state at 0, build info, no route families', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-met-'));
  const s = spawnWaiting(['serve', '--db', path.join(dir, 'relais.db'), '--port', '0'],
    /msg=listening url=(\S+)/, 'serve listening');
  try {
    const url = await s.ready;
    const { samples, types } = await scrape(url);
    for (const st of STATES) assert.equal(samples.get(`relais_messages{state="${st}"}`), 0, st);
    assert.equal(types.get('relais_messages'), 'gauge');
    const info = [...samples.keys()].find((k) => k.startsWith('relais_build_info{version="'));
    assert.ok(info, 'relais_build_info');
    assert.equal(samples.get(info), 1);
    assert.ok(![...samples.keys()].some((k) => k.startsWith('relais_route_')), 'no route metrics');
    // Public like /v1/health, GET only.
    const r = await fetch(new URL('metrics', url), { method: 'POST' });
    assert.equal(r.status, 405);
  } finally {
    await stop(s);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GET /metrics with a route: the route is up and the delivered message is counted', async () => {
  const env = await startPipeline(['--receipt-delay', '0', '--delivery-rate', '1', '--reply-rate', '0']);
  try {
    const url = env.url;
    const r = await fetch(new URL('v1/messages', url), {
      method: 'POST',
      headers: env.auth,
      body: JSON.stringify({ to: '+33612345678', text: 'Votre colis arrive demain.', from: 'RELAIS' }),
    });
    assert.equal(r.status, 202, await r.text());
    // Bounded poll: the receipt comes at once, the dispatcher's snapshot at its next tick.
    const deadline = Date.now() + 10000;
    let m;
    for (;;) {
      m = await scrape(url);
      if (m.samples.get('relais_messages{state="delivered"}') === 1 &&
          m.samples.get('relais_route_up{route="sim"}') === 1 &&
          m.samples.get('relais_dispatch_receipts_total') === 1) break;
      assert.ok(Date.now() < deadline, `not delivered in 10 s:\n${m.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(m.samples.get('relais_messages{state="queued"}'), 0);
    assert.ok(m.samples.get('relais_route_window{route="sim"}') >= 1);
    assert.equal(m.samples.get('relais_route_window_used{route="sim"}'), 0);
    assert.equal(m.samples.get('relais_route_queued{route="sim"}'), 0);
    assert.equal(m.samples.get('relais_dispatch_claimed_total'), 1);
    assert.equal(m.types.get('relais_dispatch_claimed_total'), 'counter');
    assert.equal(m.types.get('relais_route_up'), 'gauge');
    // One submit_sm answered and one final receipt: each histogram counts one,
    // its buckets never decrease and +Inf holds the count.
    for (const h of ['relais_submit_response_seconds', 'relais_submit_receipt_seconds']) {
      assert.equal(m.types.get(h), 'histogram');
      assert.equal(m.samples.get(`${h}_count{route="sim"}`), 1, h);
      assert.equal(m.samples.get(`${h}_bucket{route="sim",le="+Inf"}`), 1, h);
      const buckets = [...m.samples.entries()].filter(([k]) => k.startsWith(`${h}_bucket{route="sim"`));
      assert.ok(buckets.length >= 10, h);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `${h} cumulative`);
      assert.ok(m.samples.get(`${h}_sum{route="sim"}`) < 10, `${h}: a loopback answer takes well under 10 s`);
    }
  } finally {
    await env.cleanup();
  }
});
