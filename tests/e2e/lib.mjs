// Helpers for the end-to-end tests: run the real binary as a user would.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.RELAIS_BIN || path.join(root, 'build/relais');

// Runs relais with args; returns {code, stdout, stderr, lines (parsed JSON lines)}.
export function relais(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', input: opts.input, cwd: opts.cwd });
  if (r.error) throw r.error;
  const lines = [];
  for (const l of r.stdout.split('\n')) {
    if (l.startsWith('{')) lines.push(JSON.parse(l));
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines };
}

// Starts `relais ...args` in the background; ready resolves with the first
// capture of re in its log (by default the URL of the listening line), and
// rejects if the process exits first or 10 s pass. Never a sleep-and-hope.
export function spawnWaiting(args, re = /msg=listening url=(\S+)/, what = 'listening line') {
  const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} in 10 s:\n${log}`)), 10000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = re.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)); });
  });
  ready.catch(() => {});
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return { child, ready, exited, log: () => log };
}

// A whole pipeline as a user sets it up: `relais smsc-sim` (with simArgs),
// a relais.conf with a route to it and free messages, an API key, and
// `relais serve`. Returns {url, auth (headers), serve, sim, conf, cleanup()}.
export async function startPipeline(simArgs = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-dsp-'));
  const sim = spawnWaiting(['smsc-sim', '--port', '0', ...simArgs], /msg=listening url=smpp:\/\/\S+:(\d+)/, 'sim listening');
  const port = await sim.ready;
  const conf = path.join(dir, 'relais.conf');
  writeFileSync(conf, [
    '[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[billing]', 'default_price = 0', 'prices = ',
    '[route sim]', 'host = 127.0.0.1', `port = ${port}`, 'system_id = relais', 'password = relais',
    'reconnect_min = 100ms', '',
  ].join('\n'));
  const k = relais(['keys', 'create', '--account', 'acme', '--config', conf]);
  assert.equal(k.code, 0, k.stderr);
  const key = k.stdout.split('\n')[0].trim();
  const serve = spawnWaiting(['serve', '--config', conf, '--port', '0'], /msg=listening url=(\S+)/, 'serve listening');
  const url = await serve.ready;
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const env = { url, auth, serve, sim, conf };
  env.cleanup = async () => {
    for (const p of [env.serve, sim]) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all([env.serve.exited, sim.exited]);
    rmSync(dir, { recursive: true, force: true });
  };
  return env;
}

// --- an SMSC we did not write, and relais routed to it ----------------------

// Bounded poll: resolves with cond()'s first truthy value, checked every
// everyMs; rejects naming what after ms (then describe() says what was seen).
export async function waitFor(cond, { ms = 10000, everyMs = 20, what = 'condition', describe = () => '' } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${ms} ms ${await describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// An SMSC played by the npm `smpp` package, on 127.0.0.1: binds anyone as a
// transceiver, answers enquire_link and unbind, and answers each submit_sm
// with the command_status decide(rec) returns (0: accepted with a fresh
// message_id, then a DELIVRD receipt at once), after delayMs (0: at once).
// Like a real SMSC it keeps a receipt until its deliver_sm is answered, and
// sends again on the next bind what a lost connection left unanswered; that
// state (and everything in seen) outlives stop()/start(), an SMSC restart.
// onSubmit(rec) runs for each submit_sm before it is answered, and may stop().
//   seen.submits: [{to, at (performance.now() ms), seq, status?, answeredAt?}]
//   seen.perDest: to -> submit_sm received; seen.okPerDest: to -> accepted
// stop() drops every session at once (socket destroyed, no unbind) and
// closes the listener; it returns the submits received but not yet answered,
// which are never answered. start() listens again on the same port.
export async function npmSmsc({ decide = () => 0, delayMs = 0, onSubmit = () => {} } = {}) {
  const { default: smpp } = await import('smpp');
  const seen = { submits: [], perDest: new Map(), okPerDest: new Map(), binds: 0, receiptsSent: 0, receiptsAcked: 0 };
  const sessions = new Set();
  let unacked = []; // receipts whose deliver_sm a lost session left unanswered
  let nextId = 1;
  let server = null;
  let port = 0;

  function receipt(session, r) {
    session.pending.add(r);
    seen.receiptsSent++;
    session.deliver_sm({
      source_addr: r.to, destination_addr: 'RELAIS', esm_class: 0x04, data_coding: 0,
      short_message: Buffer.from(`id:${r.id} sub:001 dlvrd:001 submit date:2401010000 done date:2401010001 stat:DELIVRD err:000 text:x`, 'ascii'),
    }, (resp) => {
      if (session.pending.delete(r) && resp.command_status === 0) seen.receiptsAcked++;
    });
  }
  function answer(session, pdu, rec) {
    session.unanswered.delete(rec);
    if (session.dead) return;
    rec.status = decide(rec);
    rec.answeredAt = performance.now();
    if (rec.status !== 0) {
      session.send(pdu.response({ command_status: rec.status }));
      return;
    }
    const id = `N${(nextId++).toString(16).toUpperCase()}`;
    seen.okPerDest.set(rec.to, (seen.okPerDest.get(rec.to) || 0) + 1);
    session.send(pdu.response({ message_id: id }));
    receipt(session, { id, to: pdu.destination_addr });
  }
  function onSession(session) {
    session.pending = new Set();
    session.unanswered = new Set();
    session.on('error', () => {});
    session.on('close', () => {
      session.dead = true;
      sessions.delete(session);
      unacked.push(...session.pending);
      session.pending.clear();
    });
    session.on('bind_transceiver', (pdu) => {
      seen.binds++;
      session.send(pdu.response({ system_id: 'npmsmsc' }));
      sessions.add(session);
      const again = unacked;
      unacked = [];
      for (const r of again) receipt(session, r);
    });
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
    session.on('submit_sm', (pdu) => {
      if (session.dead) return; // read from a buffer after the drop: never received
      const rec = { to: String(pdu.destination_addr), at: performance.now(), seq: seen.submits.length };
      seen.submits.push(rec);
      seen.perDest.set(rec.to, (seen.perDest.get(rec.to) || 0) + 1);
      session.unanswered.add(rec);
      onSubmit(rec);
      if (session.dead) return;
      // unref: an answer still pending when a test ends must not keep Node up.
      if (delayMs > 0) setTimeout(() => answer(session, pdu, rec), delayMs).unref();
      else answer(session, pdu, rec);
    });
  }
  const smsc = {
    seen,
    get port() { return port; },
    start: () => new Promise((resolve, reject) => {
      server = smpp.createServer(onSession);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => { port = server.address().port; resolve(port); });
    }),
    stop() {
      const dropped = [];
      for (const s of server.sessions) {
        s.dead = true;
        dropped.push(...(s.unanswered || []));
        s.destroy();
      }
      const closed = new Promise((resolve) => server.close(() => resolve()));
      return { dropped, closed };
    },
    // Receipts sent and not yet answered, in sessions and kept for the next bind.
    unacked: () => unacked.length + [...sessions].reduce((n, s) => n + s.pending.size, 0),
  };
  await smsc.start();
  return smsc;
}

// `relais serve` as a user sets it up: a relais.conf with free messages and
// one route named smsc to 127.0.0.1:port (routeLines add or override its
// keys), an API key from `relais keys create`. Returns {url, auth, serve,
// conf, api(path, init) -> {status, body}, stop() (SIGTERM, asserts exit 0),
// cleanup() (SIGKILL if still running, removes the files)}.
export async function startRelais(port, routeLines = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-e2e-'));
  const conf = path.join(dir, 'relais.conf');
  writeFileSync(conf, [
    '[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[billing]', 'default_price = 0', 'prices = ',
    '[route smsc]', 'host = 127.0.0.1', `port = ${port}`, 'system_id = relais', 'password = relais',
    'reconnect_min = 100ms', 'reconnect_max = 1s', ...routeLines, '',
  ].join('\n'));
  const k = relais(['keys', 'create', '--account', 'acme', '--config', conf]);
  assert.equal(k.code, 0, k.stderr);
  const key = k.stdout.split('\n')[0].trim();
  const serve = spawnWaiting(['serve', '--config', conf, '--port', '0'], /msg=listening url=(\S+)/, 'serve listening');
  const url = await serve.ready;
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const env = { url, auth, serve, conf };
  env.api = async (p, init = {}) => {
    const r = await fetch(new URL(p, env.url), { headers: auth, ...init });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  // SIGTERM, as an operator stops it: it must drain and exit 0 (under the
  // sanitizers, a leak or an error report makes that fail too).
  env.stop = async () => {
    serve.child.kill('SIGTERM');
    const timer = setTimeout(() => serve.child.kill('SIGKILL'), 20000);
    const end = await serve.exited;
    clearTimeout(timer);
    assert.deepEqual(end, { code: 0, sig: null }, serve.log().slice(-3000));
  };
  env.cleanup = async () => {
    if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    await serve.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return env;
}

// POSTs messages ([{to, text, from}]) through /v1/messages/batch, 10,000 at a
// time; returns the ids in order. Every one must be accepted.
export async function postBatch(env, messages) {
  const ids = [];
  for (let from = 0; from < messages.length; from += 10000) {
    const chunk = messages.slice(from, from + 10000);
    const r = await env.api('v1/messages/batch', { method: 'POST', body: JSON.stringify({ messages: chunk }) });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    assert.equal(r.body.accepted, chunk.length, JSON.stringify(r.body.results.find((x) => x.error)));
    ids.push(...r.body.results.map((x) => x.id));
  }
  return ids;
}

// GET /metrics as {name{labels} -> number}; only the sample lines.
export async function metrics(url) {
  const r = await fetch(new URL('metrics', url));
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

export const FINAL_STATES = ['delivered', 'partially_delivered', 'failed', 'expired', 'rejected', 'unknown', 'cancelled'];
export const PENDING_STATES = ['draft', 'scheduled', 'queued', 'submitting', 'submitted', 'retrying'];

// Every message of env's account, listed state by state through the cursor:
// returns Map(id -> state), failing if one is listed twice.
export async function census(env) {
  const stateOf = new Map();
  for (const st of [...FINAL_STATES, ...PENDING_STATES]) {
    let cursor = '';
    for (;;) {
      const r = await env.api(`v1/messages?status=${st}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const m of r.body.messages) {
        assert.ok(!stateOf.has(m.id), `message ${m.id} listed as ${stateOf.get(m.id)} and as ${st}`);
        stateOf.set(m.id, st);
      }
      if (r.body.next_cursor === null || r.body.next_cursor === undefined) break;
      cursor = r.body.next_cursor;
    }
  }
  return stateOf;
}

// GET /v1/messages/{id} for each id, `parallel` at a time: Map(id -> message).
export async function getMany(env, ids, parallel = 8) {
  const out = new Map();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const r = await env.api(`v1/messages/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      out.set(id, r.body);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}
