// Crash safety as the issue states it: `kill -9` of `relais serve` while
// submits are flowing, then a restart on the same store and config. Every
// message must end in exactly one final state, none lost, and none submitted
// twice except those in flight at the kill — bounded, and each of those
// recorded with an event reason possible_duplicate. The SMSC is the npm
// `smpp` package (code we did not write), so the count of submit_sm per
// destination is an independent view of what relais really sent.
//
// N defaults to 20,000 (make check stays fast); RELAIS_CRASH_N=100000 by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smpp from 'smpp';
import { relais, spawnWaiting } from './lib.mjs';

const N = Number(process.env.RELAIS_CRASH_N || 20000);
const WINDOW = 10;
const ROUTES = 1;
const BATCH = 10000; // POST /v1/messages/batch takes at most 10,000 items
// Why a destination may reach the SMSC twice, from the code: after a crash,
// store_release_stale_submitting (src/store/store_dispatch.c, run by
// cli_serve.c before the first claim) puts every message left in submitting
// back to queued with the event reason possible_duplicate. A message is
// resent twice only if the SMSC had its submit_sm but relais had not yet
// committed its ACCEPTED outcome (parts and state commit together, so an
// accepted message is never left in submitting). That is (a) the submit_sm
// awaiting their response, at most `window` per route (src/smpp, route
// option window), plus (b) those already answered whose outcome is still in
// the dispatcher's outbox, written on each loop turn by dsp_outbox_flush in
// store operations of OUTBOX_CHUNK = 1000 outcomes (src/dispatch/dispatch_rx.c)
// — at most one such operation being committed at the kill. Claimed messages
// still waiting in the connector's queue were never sent: resending them is
// not a duplicate at the SMSC. Hence window × routes + one outcome chunk.
const OUTBOX_CHUNK = 1000;
const MAX_DUPLICATES = WINDOW * ROUTES + OUTBOX_CHUNK;
const FINAL = ['delivered', 'failed', 'expired', 'rejected', 'unknown', 'cancelled'];
const PENDING = ['queued', 'submitting', 'submitted', 'retrying'];

const dest = (i) => `+336${String(10000000 + i)}`;

// The SMSC: binds anyone as a transceiver, answers every submit_sm with a
// fresh id and sends its DELIVRD receipt right after. Like a real SMSC it
// keeps a receipt until the ESME answers its deliver_sm, and sends again on
// the next bind what a lost connection left unanswered. Until open() it
// holds its answers (so the whole run is stored before anything is
// accepted); onSubmit(count) sees each submit_sm as it arrives.
function smsc(onSubmit) {
  const seen = { submits: 0, perDest: new Map(), ids: new Map(), acked: new Set(), receiptsSent: 0, receiptsAcked: 0, binds: 0 };
  let nextId = 1;
  let open = false;
  const held = [];
  let unacked = []; // receipts whose deliver_sm a closed session left unanswered
  const sessions = new Set();

  function receipt(session, r) {
    session.pending.add(r);
    seen.receiptsSent++;
    session.deliver_sm({
      source_addr: r.to, destination_addr: 'RELAIS', esm_class: 0x04, data_coding: 0,
      short_message: Buffer.from(`id:${r.id} sub:001 dlvrd:001 submit date:2401010000 done date:2401010001 stat:DELIVRD err:000 text:x`, 'ascii'),
    }, (resp) => {
      if (session.pending.delete(r) && resp.command_status === 0) { seen.receiptsAcked++; seen.acked.add(r.id); }
    });
  }
  function answer(session, pdu) {
    if (session.closed) return;
    const id = `M${(nextId++).toString(16).toUpperCase()}`;
    const to = String(pdu.destination_addr).replace(/^\+/, '');
    seen.ids.set(to, [...(seen.ids.get(to) || []), id]);
    session.send(pdu.response({ message_id: id }));
    receipt(session, { id, to: pdu.destination_addr });
  }

  const server = smpp.createServer((session) => {
    session.pending = new Set();
    session.on('error', () => {});
    session.on('close', () => {
      session.closed = true;
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
      seen.submits++;
      const to = String(pdu.destination_addr).replace(/^\+/, '');
      seen.perDest.set(to, (seen.perDest.get(to) || 0) + 1);
      onSubmit(seen.submits);
      if (open) answer(session, pdu);
      else held.push([session, pdu]);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      seen,
      unacked: () => unacked.length + [...sessions].reduce((n, s) => n + s.pending.size, 0),
      open: () => { open = true; for (const [s, p] of held.splice(0)) answer(s, p); },
      close: () => { for (const s of sessions) s.close(); server.close(); },
    }));
  });
}

test(`kill -9 mid-run (${N} messages) and restart: one final state each, none lost, duplicates bounded and recorded`, { timeout: 600000 }, async () => {
  const t0 = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-crash-'));
  const killAt = Math.floor(N * (0.1 + 0.7 * Math.random()));
  let serve = null;
  let killedAtSeen = null;
  // Every invariant is checked and reported together, after the figures.
  const problems = [];
  const check = (ok, what) => { if (!ok) problems.push(what); };
  const s = await smsc((count) => {
    if (killedAtSeen === null && count >= killAt && serve) {
      killedAtSeen = count;
      serve.child.kill('SIGKILL');
    }
  });
  try {
    const conf = path.join(dir, 'relais.conf');
    writeFileSync(conf, [
      '[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
      '[billing]', 'default_price = 0', 'prices = ',
      '[route sim]', 'host = 127.0.0.1', `port = ${s.port}`, 'system_id = relais', 'password = relais',
      `window = ${WINDOW}`, 'reconnect_min = 100ms', 'reconnect_max = 1s', '',
    ].join('\n'));
    const k = relais(['keys', 'create', '--account', 'A', '--config', conf]);
    assert.equal(k.code, 0, k.stderr);
    const key = k.stdout.split('\n')[0].trim();
    const c = relais(['accounts', 'credit', '--account', 'A', '--amount', '100', '--config', conf]);
    assert.equal(c.code, 0, c.stderr);
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const first = spawnWaiting(['serve', '--config', conf, '--port', '0'], /msg=listening url=(\S+)/, 'serve listening');
    let url = await first.ready;
    const api = async (p, init = {}) => {
      const r = await fetch(new URL(p, url), { headers: auth, ...init });
      const body = await r.json();
      return { status: r.status, body };
    };

    // The whole run goes in through the batch API before the SMSC answers.
    const idOf = new Map(); // destination without '+' -> message id
    const toOf = new Map(); // message id -> destination without '+'
    for (let from = 0; from < N; from += BATCH) {
      const messages = [];
      for (let i = from; i < Math.min(N, from + BATCH); i++) messages.push({ to: dest(i), text: `crash ${i}`, from: 'RELAIS' });
      const r = await api('v1/messages/batch', { method: 'POST', body: JSON.stringify({ messages }) });
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
      assert.equal(r.body.accepted, messages.length, JSON.stringify(r.body.results.find((x) => x.error)));
      for (const x of r.body.results) {
        const to = x.to.replace(/^\+/, '');
        idOf.set(to, x.id);
        toOf.set(x.id, to);
      }
    }
    assert.equal(idOf.size, N);
    const tPosted = Date.now();
    serve = first;
    s.open();
    if (s.seen.submits >= killAt && killedAtSeen === null) { killedAtSeen = s.seen.submits; serve.child.kill('SIGKILL'); }

    // The kill: from the SMSC's submit_sm handler, once it has seen killAt.
    const killDeadline = setTimeout(() => serve.child.kill('SIGKILL'), 120000);
    const { sig } = await first.exited;
    clearTimeout(killDeadline);
    assert.equal(sig, 'SIGKILL');
    assert.ok(killedAtSeen !== null, `serve was not killed by the SMSC trigger (seen ${s.seen.submits}):\n${first.log().slice(-2000)}`);
    const tKill = Date.now();
    const seenAtExit = s.seen.submits;

    // Restart on the same store and config.
    const second = spawnWaiting(['serve', '--config', conf, '--port', '0'], /msg=listening url=(\S+)/, 'serve listening');
    serve = second;
    url = await second.ready;
    const released = Number((/stale_submitting_released messages=(\d+)/.exec(second.log()) || [0, 0])[1]);

    // Bounded poll until nothing is left in a non-final state.
    const count = async (status) => {
      const r = await api(`v1/messages?status=${status}&limit=1000`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.messages.length;
    };
    const settleMs = 20000 + N;
    const deadline = Date.now() + settleMs;
    let left;
    for (;;) {
      left = {};
      for (const st of PENDING) left[st] = await count(st);
      if (PENDING.every((st) => left[st] === 0)) break;
      if (Date.now() > deadline) {
        const stuck = [];
        for (const st of PENDING) {
          const r = await api(`v1/messages?status=${st}&limit=5`);
          for (const m of r.body.messages) {
            const g = (await api(`v1/messages/${m.id}`)).body;
            const to = toOf.get(m.id);
            stuck.push({ id: m.id, to, status: g.status, parts: g.parts, events: g.events.map((e) => `${e.at} ${e.status}:${e.reason}`),
              smsc_submits: s.seen.perDest.get(to), smsc_ids: s.seen.ids.get(to),
              smsc_receipt_acked: (s.seen.ids.get(to) || []).map((id) => s.seen.acked.has(id)) });
          }
        }
        console.log(`crash: N=${N} kill_at=${killedAtSeen} released=${released} submits=${s.seen.submits} stuck=${JSON.stringify(stuck, null, 1)}`);
        problems.push(`still not final after ${settleMs} ms: ${JSON.stringify(left)} (page ≤ 1000); SMSC: submits=${s.seen.submits} ` +
          `receipts sent=${s.seen.receiptsSent} acked=${s.seen.receiptsAcked} unacked=${s.unacked()}; first stuck: ${JSON.stringify(stuck[0])}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const tSettled = Date.now();

    // Every message, listed by state: each exactly once, in a final state.
    const stateOf = new Map();
    const byState = {};
    for (const st of [...FINAL, ...PENDING]) {
      let cursor = '';
      byState[st] = 0;
      for (;;) {
        const r = await api(`v1/messages?status=${st}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        for (const m of r.body.messages) {
          assert.ok(!stateOf.has(m.id), `message ${m.id} listed as ${stateOf.get(m.id)} and ${st}`);
          stateOf.set(m.id, st);
          byState[st]++;
        }
        if (r.body.next_cursor === null || r.body.next_cursor === undefined) break;
        cursor = r.body.next_cursor;
      }
    }
    const missing = [...toOf.keys()].filter((id) => !stateOf.has(id));
    check(missing.length === 0, `${missing.length} messages lost, e.g. ${missing.slice(0, 5)}`);
    check(stateOf.size === N, `states: ${JSON.stringify(byState)}`);
    const notDelivered = [...stateOf].filter(([, st]) => st !== 'delivered');
    check(notDelivered.length === 0, `${notDelivered.length} not delivered (e.g. ${JSON.stringify(notDelivered.slice(0, 5))}): ${JSON.stringify(byState)}`);

    // What the SMSC received: every destination, some twice at most.
    const never = [...idOf.keys()].filter((to) => !s.seen.perDest.has(to));
    check(never.length === 0, `${never.length} destinations never reached the SMSC, e.g. ${never.slice(0, 5)}`);
    const strangers = [...s.seen.perDest.keys()].filter((to) => !idOf.has(to));
    check(strangers.length === 0, 'submits to destinations that were never posted');
    const twice = [...s.seen.perDest].filter(([, n]) => n > 1);
    const more = twice.filter(([, n]) => n > 2);
    check(more.length === 0, 'a destination submitted more than twice after one crash');
    check(twice.length <= MAX_DUPLICATES, `${twice.length} duplicates > ${MAX_DUPLICATES}`);
    check(twice.length <= released, `${twice.length} duplicates but only ${released} released as possible_duplicate`);
    const unmarked = [];
    for (const [to] of twice) {
      const r = await api(`v1/messages/${idOf.get(to)}`);
      assert.equal(r.status, 200);
      if (!r.body.events.some((e) => e.reason === 'possible_duplicate')) {
        unmarked.push(`${to} (message ${idOf.get(to)}): ${r.body.events.map((e) => `${e.status}:${e.reason}`).join(' ')}`);
      }
    }
    check(unmarked.length === 0, `${unmarked.length} destinations reached the SMSC twice with no possible_duplicate event, e.g. ${unmarked.slice(0, 3).join('; ')}`);
    check(s.seen.submits === N + twice.length, `SMSC saw ${s.seen.submits} submits, N + duplicates = ${N + twice.length}`);

    console.log(`crash: N=${N} window=${WINDOW} kill_at=${killedAtSeen} (target ${killAt}, ${(100 * killAt / N).toFixed(0)} %) ` +
      `seen_at_exit=${seenAtExit} released_possible_duplicate=${released} duplicates=${twice.length} (bound ${MAX_DUPLICATES}) ` +
      `submits=${s.seen.submits} receipts=${s.seen.receiptsSent} binds=${s.seen.binds} ` +
      `post_ms=${tPosted - t0} to_kill_ms=${tKill - tPosted} settle_ms=${tSettled - tKill} total_ms=${Date.now() - t0}`);

    assert.deepEqual(problems, [], problems.join('\n'));
    second.child.kill('SIGTERM');
    const end = await second.exited;
    assert.equal(end.code, 0, second.log().slice(-2000));
  } finally {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
