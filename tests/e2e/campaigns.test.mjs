// Campaigns end to end, through the HTTP API only, against an SMSC played by
// the npm `smpp` package (code we did not write), which also plays the phones
// (a STOP is its deliver_sm). relais runs under libfaketime (the Debian
// package's library, preloaded), so that "now" is a known Paris time: a
// Tuesday 10:00 where marketing may go, or the Saturday 19:59 of the issue.
// FAKETIME_DONT_FAKE_MONOTONIC keeps libuv's timers on the real clock. Every
// wait is a bounded poll on what the API or the SMSC says; nothing sleeps.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smpp from 'smpp';
import { BIN, relais, waitFor } from './lib.mjs';

const FAKETIME_LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1'].find((p) => existsSync(p));
const TUESDAY = '@2026-11-24 10:00:00'; // Paris (UTC+1): 09:00:00Z
const TUESDAY_MS = Date.parse('2026-11-24T09:00:00Z');
const MENTION = 'STOP au 36180';

// The SMSC: binds relais, keeps every submit_sm (number, sender, text, real
// arrival time), answers with an id and a DELIVRD receipt; mo() sends a
// phone's message to relais.
async function smsc() {
  const seen = { submits: [] };
  let bound = null;
  let n = 0;
  const server = smpp.createServer((session) => {
    session.on('error', () => {});
    session.on('bind_transceiver', (pdu) => {
      session.send(pdu.response({ system_id: 'npmsmsc' }));
      bound = session;
    });
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
    session.on('submit_sm', (pdu) => {
      const sm = pdu.short_message;
      const text = typeof sm === 'string' ? sm : (sm && sm.message) || '';
      seen.submits.push({ to: String(pdu.destination_addr), from: String(pdu.source_addr), text, at: performance.now() });
      const id = `K${++n}`;
      session.send(pdu.response({ message_id: id }));
      session.deliver_sm({
        source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, esm_class: 0x04,
        short_message: Buffer.from(`id:${id} sub:001 dlvrd:001 submit date:2611240900 done date:2611240900 stat:DELIVRD err:000 text:x`),
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    seen,
    bound: () => bound,
    to: (num) => seen.submits.filter((s) => s.to === num.replace('+', '')),
    mo: (from, text) => new Promise((resolve, reject) => {
      bound.deliver_sm({
        source_addr_ton: 1, source_addr_npi: 1, source_addr: from, destination_addr: '36180',
        esm_class: 0, data_coding: 0, short_message: Buffer.from(text, 'ascii'),
      }, (r) => (r.command_status === 0 ? resolve() : reject(new Error(`deliver_sm_resp ${r.command_status}`))));
    }),
    close: () => { if (bound) bound.close(); server.close(); },
  };
}

// `relais serve` under a fake clock starting at fake ('@YYYY-MM-DD HH:MM:SS',
// Paris time, optionally ' x10' to run ten times faster).
function serveAt(conf, fake) {
  const asan = [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':');
  const child = spawn(BIN, ['serve', '--config', conf, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env, LD_PRELOAD: FAKETIME_LIB, FAKETIME: fake, FAKETIME_DONT_FAKE_MONOTONIC: '1',
      TZ: 'Europe/Paris', ASAN_OPTIONS: asan,
    },
  });
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 10 s:\n${log}`)), 10000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /msg=listening url=(\S+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)); });
  });
  ready.catch(() => {});
  return { child, ready, exited, log: () => log };
}

// A relais.conf with a price of 0.05 a segment everywhere, the French
// opt-out mention, and a route to the SMSC (extra: more lines at the end);
// an account credited with 10 and its key; relais serving at fake. Returns
// {api, sim, serve, conf, restart(fake), cleanup()}.
async function setup(fake = TUESDAY, extra = []) {
  assert.ok(FAKETIME_LIB, 'libfaketime (Debian package faketime) is needed');
  const sim = await smsc();
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-campaigns-'));
  const conf = path.join(dir, 'relais.conf');
  writeFileSync(conf, [
    '[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[billing]', 'default_price = 0.05', 'prices = ',
    '[campaigns]', `optout_mention = FR=${MENTION}`,
    '[route smsc]', 'host = 127.0.0.1', `port = ${sim.port}`, 'system_id = relais', 'password = relais',
    'reconnect_min = 100ms', 'default_sender = SHOP', ...extra, '',
  ].join('\n'));
  const k = relais(['keys', 'create', '--account', 'acme', '--config', conf]);
  assert.equal(k.code, 0, k.stderr);
  const key = k.stdout.split('\n')[0].trim();
  const c = relais(['accounts', 'credit', '--account', 'acme', '--amount', '10', '--config', conf]);
  assert.equal(c.code, 0, c.stderr);
  const env = { sim, conf };
  const start = async (f) => {
    env.serve = serveAt(conf, f);
    env.url = await env.serve.ready;
    await waitFor(() => sim.bound(), { what: 'relais bound to the SMSC' });
  };
  env.api = async (p, init = {}) => {
    const r = await fetch(new URL(p, env.url), {
      ...init, headers: { authorization: `Bearer ${key}`, 'content-type': init.type || 'application/json' },
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
  };
  env.stop = async () => {
    env.serve.child.kill('SIGTERM');
    assert.deepEqual(await env.serve.exited, { code: 0, sig: null }, env.serve.log().slice(-3000));
  };
  env.restart = async (f) => { await env.stop(); await start(f); };
  env.restart_stopped = start; // after env.stop()
  // SIGTERM, as an operator stops it: it must drain and exit 0 (under the
  // sanitizers, a leak or an error report makes that fail too).
  env.cleanup = async () => {
    try {
      if (env.serve && env.serve.child.exitCode === null && env.serve.child.signalCode === null) await env.stop();
    } finally {
      sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await start(fake);
  return env;
}

// Imports csv into list name; returns the list's id.
async function importList(env, name, csv) {
  const r = await env.api(`v1/contacts/import?list=${name}`, { method: 'POST', body: csv, type: 'text/csv' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const l = await env.api('v1/lists?limit=1000');
  return l.body.lists.find((x) => x.name === name).id;
}

async function createCampaign(env, body) {
  const r = await env.api('v1/campaigns', { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status, 'draft');
  return r.body.id;
}

async function post(env, p, body) {
  return env.api(p, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
}

// The report once nothing is left to send and every receipt is in.
async function finalReport(env, id, ms = 15000) {
  return waitFor(async () => {
    const r = await env.api(`v1/campaigns/${id}/report`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.pending === 0 && !r.body.by_status.submitted ? r.body : null;
  }, { ms, what: `campaign ${id} finished` });
}

const CLIENTS = [
  'phone;prénom;nom;code',
  '0612345601;Alice;Durand;A1',
  '0612345602;Bob;Martin;B2',
  '0145454545;Fixe;Ligne;F0',
  '0612345603;Carla;Petit;C3',
  '0612345604;Dora;Roux;D4',
  '0612345607;Łukasz;Nowak;L7',
  '',
].join('\n');

test('summary figures by hand, then launch: the SMSC gets exactly those numbers and texts', async () => {
  const env = await setup();
  try {
    const clients = await importList(env, 'clients', CLIENTS);
    const vip = await importList(env, 'vip', 'phone;prénom\n0612345604;Dora\n');
    const o = await post(env, 'v1/optouts', { number: '0612345603' });
    assert.ok(o.status === 200 || o.status === 201, JSON.stringify(o.body));
    const id = await createCampaign(env, {
      name: 'Mardi', category: 'marketing', sender: 'SHOP',
      template: 'Bonjour #firstname|client#, code #code|WEB#: -20% ce mardi',
      audience: { lists: [clients], numbers: ['0612345606', '06 12 34 56 02', '12'], exclude_lists: [vip] },
    });
    // Kept: Alice, Bob, Łukasz (list) and 0612345606 (typed, no contact).
    // Left out: Fixe (fixed line), Carla (opted out), Dora (vip), Bob typed
    // again (duplicate), "12" (invalid). Each text is "Bonjour NAME, code
    // CODE: -20% ce mardi" plus " STOP au 36180": 51 to 53 characters, one
    // segment; Ł is not GSM 03.38, so Łukasz's is UCS-2 (53 <= 70: still one).
    // 4 segments at 0.05: 0.2; the balance of 10 becomes 9.8.
    const s = await env.api(`v1/campaigns/${id}/summary`);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.recipients, 4);
    assert.deepEqual(s.body.excluded, {
      opted_out: 1, invalid: 1, non_mobile: 1, duplicate: 1, no_consent: 0, exclude_list: 1, missing_field: 0, too_long: 0,
    });
    assert.deepEqual(s.body.messages_by_encoding, { gsm7: 3, ucs2: 1 });
    assert.equal(s.body.segments, 4);
    assert.equal(s.body.cost, '0.2');
    assert.equal(s.body.balance_before, '10');
    assert.equal(s.body.balance_after, '9.8');
    assert.equal(s.body.can_launch, true);
    assert.equal(s.body.blocker, null);
    // No rate: every slot is the launch's instant, a Tuesday at 10:00 in Paris.
    assert.equal(s.body.first_send_at, s.body.last_send_at);
    const first = Date.parse(s.body.first_send_at);
    assert.ok(first >= TUESDAY_MS && first < TUESDAY_MS + 60000, s.body.first_send_at);

    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal(l.body.figures.recipients, 4);
    assert.equal(l.body.messages, 4);
    const want = new Map([
      ['33612345601', `Bonjour Alice, code A1: -20% ce mardi ${MENTION}`],
      ['33612345602', `Bonjour Bob, code B2: -20% ce mardi ${MENTION}`],
      ['33612345607', `Bonjour Łukasz, code L7: -20% ce mardi ${MENTION}`],
      ['33612345606', `Bonjour client, code WEB: -20% ce mardi ${MENTION}`],
    ]);
    const rep = await finalReport(env, id);
    assert.equal(env.sim.seen.submits.length, 4);
    assert.deepEqual(new Map(env.sim.seen.submits.map((x) => [x.to, x.text])), want);
    assert.ok(env.sim.seen.submits.every((x) => x.from === 'SHOP'));
    assert.equal(rep.sent, 4);
    assert.equal(rep.delivered, 4);
    assert.equal(rep.failed, 0);
    assert.equal(rep.delivery_rate, 1);
    assert.equal(rep.cost, '0.2');
    assert.equal(rep.status, 'done');
    const acc = await env.api('v1/account');
    assert.equal(acc.body.balance, '9.8');
    // Launched is launched.
    const again = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'invalid_state');
  } finally {
    await env.cleanup();
  }
});

test('every refusal names its field and value, and stores nothing', async () => {
  const env = await setup();
  try {
    const clients = await importList(env, 'clients', CLIENTS);
    const base = { name: 'x', category: 'marketing', text: 'Promo', audience: { lists: [clients] } };
    const cases = [
      [{ ...base, colour: 'red' }, 400, 'unknown_field', 'colour'],
      [{ ...base, name: 42 }, 400, 'invalid_type', 'name'],
      [{ ...base, template: 'Hi #firstname#' }, 400, 'conflicting_fields', 'template'],
      [{ ...base, audience: { lists: [clients], numbers: ['0612345601', 7] } }, 400, 'invalid_type', 'audience.numbers[1]'],
      [{ ...base, audience: { lists: [clients, 999] } }, 422, 'unknown_list', 'audience.lists[1]'],
      [{ ...base, audience: { groups: [1] } }, 400, 'unknown_field', 'audience.groups'],
      [{ ...base, audience: {} }, 422, 'empty_audience', 'audience'],
      [{ ...base, category: 'Offres!' }, 422, 'invalid_value', 'category'],
      [{ ...base, require_optin: true }, 422, 'invalid_value', 'require_optin'],
      [{ ...base, sender: 'Far Too Long Sender' }, 422, 'invalid_sender', 'sender'],
      [{ ...base, window: 'mon-fry 09:00-19:00' }, 422, 'invalid_window', 'window'],
      [{ ...base, timezone: 'Europe/Atlantis' }, 422, 'invalid_timezone', 'timezone'],
      [{ ...base, rate: 0 }, 422, 'out_of_range', 'rate'],
      [{ ...base, rate: '5' }, 400, 'invalid_type', 'rate'],
      [{ ...base, send_at: 'demain' }, 422, 'invalid_time', 'send_at'],
      [{ ...base, text: 'a'.repeat(1531) }, 422, 'too_long', 'text'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await env.api('v1/campaigns', { method: 'POST', body: JSON.stringify(body) });
      assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    const w = await env.api('v1/campaigns', { method: 'POST', body: JSON.stringify({ ...base, window: 'mon-fry 09:00-19:00' }) });
    assert.match(w.body.error.message, /fry/);
    const list = await env.api('v1/campaigns');
    assert.deepEqual(list.body.campaigns, []);

    // A marketing launch to a country without a mention is refused, naming
    // the key and the country, and leaves the draft as it was.
    const id = await createCampaign(env, { ...base, audience: { numbers: ['+32470123456'] } });
    const s = await env.api(`v1/campaigns/${id}/summary`);
    assert.equal(s.body.can_launch, false);
    assert.equal(s.body.blocker.code, 'optout_mention_missing');
    const odd = await post(env, `v1/campaigns/${id}/launch`, { now: true });
    assert.equal(odd.status, 400, JSON.stringify(odd.body));
    assert.equal(odd.body.error.code, 'unknown_field');
    assert.equal(odd.body.error.field, 'now');
    const l = await post(env, `v1/campaigns/${id}/launch`, {});
    assert.equal(l.status, 422, JSON.stringify(l.body));
    assert.equal(l.body.error.code, 'optout_mention_missing');
    assert.equal(l.body.error.field, 'campaigns.optout_mention');
    assert.match(l.body.error.message, /BE/);
    assert.equal((await env.api(`v1/campaigns/${id}`)).body.status, 'draft');
    const m = await env.api('v1/messages');
    assert.deepEqual(m.body.messages, []);
    // Not enough credit: 300 recipients of two segments would cost 30.
    const many = Array.from({ length: 300 }, (_, i) => `06123${String(i).padStart(5, '0')}`);
    const big = await createCampaign(env, { ...base, text: 'x'.repeat(150), audience: { numbers: many } });
    const b = await post(env, `v1/campaigns/${big}/launch`);
    assert.equal(b.status, 422, JSON.stringify(b.body));
    assert.equal(b.body.error.code, 'insufficient_credit');
    assert.match(b.body.error.message, /30 .*10/);
    assert.deepEqual((await env.api('v1/messages')).body.messages, []);
  } finally {
    await env.cleanup();
  }
});

test('cancel before sending starts: every message cancelled, nothing billed', async () => {
  const env = await setup();
  try {
    const clients = await importList(env, 'clients', CLIENTS);
    const id = await createCampaign(env, {
      name: 'Demain', category: 'marketing', text: 'Demain -30%', audience: { lists: [clients] },
      send_at: '2026-11-25T10:00:00+01:00',
    });
    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal(l.body.status, 'scheduled');
    assert.equal(l.body.figures.first_send_at, '2026-11-25T09:00:00.000Z');
    // Alice, Bob, Carla, Dora, Łukasz (Fixe is not a mobile): 5 x 0.05 (Łukasz's
    // "Demain -30% STOP au 36180" is GSM: the template is not used).
    assert.equal((await env.api('v1/account')).body.balance, '9.75');
    const c = await post(env, `v1/campaigns/${id}/cancel`, {});
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.status, 'cancelled');
    assert.equal(c.body.cancelled, 5);
    assert.equal(c.body.refunded, '0.25');
    assert.equal((await env.api('v1/account')).body.balance, '10');
    const r = await env.api(`v1/campaigns/${id}/report`);
    assert.deepEqual(r.body.by_status, { cancelled: 5 });
    assert.equal(r.body.cost, '0');
    assert.equal(env.sim.seen.submits.length, 0);
    const again = await post(env, `v1/campaigns/${id}/pause`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.field, 'state');
  } finally {
    await env.cleanup();
  }
});

test('pause holds what is not sent yet; resume sends each of them once, at the pace', async () => {
  const env = await setup();
  try {
    const nums = ['0611000001', '0611000002', '0611000003', '0611000004', '0611000005', '0611000006'];
    const id = await createCampaign(env, {
      name: 'Codes', category: 'transactional', text: 'Votre code arrive', rate: 4, audience: { numbers: nums },
    });
    assert.equal((await post(env, `v1/campaigns/${id}/launch`)).status, 200);
    const p = await post(env, `v1/campaigns/${id}/pause`);
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.status, 'paused');
    const parked = p.body.parked;
    assert.ok(parked >= 1 && parked <= 6, `parked ${parked}`);
    // What the dispatcher had claimed before the pause goes; the rest waits as draft.
    await waitFor(async () => {
      const r = (await env.api(`v1/campaigns/${id}/report`)).body;
      return r.pending === (r.by_status.draft || 0) && env.sim.seen.submits.length === r.sent;
    }, { what: 'the claimed ones sent' });
    const r0 = (await env.api(`v1/campaigns/${id}/report`)).body;
    assert.equal(r0.sent + r0.by_status.draft, 6);
    const q = await post(env, `v1/campaigns/${id}/resume`);
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.equal(q.body.status, 'sending');
    assert.equal(q.body.resumed, r0.by_status.draft);
    const rep = await finalReport(env, id);
    assert.equal(rep.delivered, 6);
    const to = env.sim.seen.submits.map((x) => x.to).sort();
    assert.deepEqual(to, nums.map((n) => `33${n.slice(1)}`).sort());
    // The resumed ones leave 250 ms apart (4 a second), not in a burst.
    const late = env.sim.seen.submits.slice(r0.sent).map((x) => x.at);
    for (let i = 1; i < late.length; i++) assert.ok(late[i] - late[i - 1] > 150, `gap ${late[i] - late[i - 1]} ms`);
  } finally {
    await env.cleanup();
  }
});

test('STOP by SMS: the number is left out of the next campaigns, and refused at send time', async () => {
  const env = await setup();
  try {
    const both = await importList(env, 'both', 'phone;prénom\n0612345601;Alice\n0612345602;Bob\n');
    const a = await createCampaign(env, { name: 'A', category: 'marketing', text: 'Promo A', audience: { lists: [both] } });
    assert.equal((await post(env, `v1/campaigns/${a}/launch`)).status, 200);
    await finalReport(env, a);
    assert.equal(env.sim.to('+33612345602').length, 1);
    // C is launched before the STOP, due 5 s later: its message to Bob is
    // written already, and refused when it falls due.
    const now = Date.parse((await env.api('v1/health')).headers.get('date'));
    const c = await createCampaign(env, {
      name: 'C', category: 'marketing', text: 'Promo C', audience: { lists: [both] },
      send_at: new Date(now + 5000).toISOString(),
    });
    const cl = await post(env, `v1/campaigns/${c}/launch`);
    assert.equal(cl.status, 200, JSON.stringify(cl.body));
    assert.equal(cl.body.status, 'scheduled');
    assert.equal(cl.body.messages, 2);

    await env.sim.mo('33612345602', 'STOP');
    await waitFor(async () => (await env.api('v1/optouts/+33612345602')).body.opted_out, { what: 'the opt-out' });
    const b = await createCampaign(env, { name: 'B', category: 'marketing', text: 'Promo B', audience: { lists: [both] } });
    const s = (await env.api(`v1/campaigns/${b}/summary`)).body;
    assert.equal(s.recipients, 1);
    assert.equal(s.excluded.opted_out, 1);
    assert.equal((await post(env, `v1/campaigns/${b}/launch`)).status, 200);
    await finalReport(env, b);
    const rc = await finalReport(env, c, 20000);
    assert.equal(rc.delivered, 1);
    assert.equal(rc.failed, 1);
    assert.deepEqual(rc.failed_by_error, { opted_out: 1 });
    assert.equal(rc.cost, '0.05'); // Bob's was refunded
    assert.equal(env.sim.to('+33612345601').length, 3); // A, B and C
    assert.equal(env.sim.to('+33612345602').length, 1); // A's only
    assert.equal((await env.api(`v1/campaigns/${a}/report`)).body.opt_outs, 1);
  } finally {
    await env.cleanup();
  }
});

test('launched Saturday 19:59: what misses 20:00 leaves Monday 08:00 at the pace, not in a burst', async (t) => {
  // Ten times faster than real: 2 s of fake time between messages is 0.2 s.
  const env = await setup('@2026-11-21 19:59:00 x10');
  try {
    const rows = Array.from({ length: 40 }, (_, i) => `06200000${String(i).padStart(2, '0')}`);
    const list = await importList(env, 'all', `phone\n${rows.join('\n')}\n`);
    const id = await createCampaign(env, {
      name: 'Samedi', category: 'marketing', text: 'Ventes privées', rate: 0.5, audience: { lists: [list] },
    });
    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    const f = l.body.figures;
    // Saturday 20:00 Paris is 19:00:00Z; Monday 08:00 is 07:00:00Z.
    const sat20 = Date.parse('2026-11-21T19:00:00Z');
    const mon08 = Date.parse('2026-11-23T07:00:00Z');
    const launchedAt = Date.parse(f.first_send_at);
    assert.ok(launchedAt >= sat20 - 60000 && launchedAt < sat20, f.first_send_at);
    // Slots every 2 s from the launch while before 20:00, the rest from Monday 08:00.
    const before = Math.ceil((sat20 - launchedAt) / 2000);
    assert.ok(before >= 1 && before <= 30, `before ${before}`);
    assert.equal(f.last_send_at, new Date(mon08 + (40 - before - 1) * 2000).toISOString());
    const all = (await env.api('v1/messages?limit=100')).body.messages;
    assert.equal(all.length, 40);
    const monday = all.filter((m) => Date.parse(m.scheduled_for) >= mon08).map((m) => Date.parse(m.scheduled_for)).sort();
    assert.equal(monday.length, 40 - before);
    monday.forEach((t, i) => assert.equal(t, mon08 + i * 2000));
    const firstMonday = all.find((m) => Date.parse(m.scheduled_for) === mon08);
    const detail = (await env.api(`v1/messages/${firstMonday.id}`)).body;
    assert.equal(detail.events[0].reason, 'deferred:quiet_hours');

    // The Saturday ones go; then relais's clock passes 20:00 and nothing more does.
    await waitFor(() => env.sim.seen.submits.length === before, { ms: 15000, what: `${before} sent on Saturday` });
    await waitFor(async () => Date.parse((await env.api('v1/health')).headers.get('date')) > sat20 + 10000,
      { ms: 15000, what: 'relais past Saturday 20:00:10' });
    assert.equal(env.sim.seen.submits.length, before);
    const r = (await env.api(`v1/campaigns/${id}/report`)).body;
    assert.equal(r.by_status.scheduled, 40 - before);

    // Monday 07:59 (relais stopped over Sunday): from 08:00 they go, 2 s apart.
    await env.restart('@2026-11-23 07:59:00 x10');
    await waitFor(() => env.sim.seen.submits.length === 40, { ms: 30000, what: 'Monday\'s messages' });
    const rep = await finalReport(env, id);
    assert.equal(rep.delivered, 40);
    const sent = new Set(env.sim.seen.submits.map((x) => x.to));
    assert.equal(sent.size, 40);
    // relais's own (fake) times: each Monday message submitted at or after its
    // slot, and the submissions at the pace: 2 s apart (a burst would be
    // milliseconds apart; the margin is for the claim tick, 200 ms of fake time).
    const msgs = (await env.api('v1/messages?limit=100')).body.messages.filter((m) => Date.parse(m.scheduled_for) >= mon08);
    const at = [];
    for (const m of msgs) {
      const d = (await env.api(`v1/messages/${m.id}`)).body;
      const sub = d.events.find((e) => e.status === 'submitted');
      assert.ok(sub, JSON.stringify(d.events));
      assert.ok(Date.parse(sub.at) >= Date.parse(m.scheduled_for), `${sub.at} before ${m.scheduled_for}`);
      at.push(Date.parse(sub.at));
    }
    at.sort((x, y) => x - y);
    t.diagnostic(`launched ${f.first_send_at}: ${before} on Saturday; Monday submissions ${at.slice(0, 4).map((x) => new Date(x).toISOString().slice(11, 23)).join(' ')} ...`);
    for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 1000, `burst: ${at[i] - at[i - 1]} ms apart`);
  } finally {
    await env.cleanup();
  }
});

// GET /v1/messages/{id} until pred(message) holds; returns it.
async function messageWhen(env, id, pred, what) {
  return waitFor(async () => {
    const m = (await env.api(`v1/messages/${id}`)).body;
    return pred(m) ? m : null;
  }, { ms: 15000, what });
}

test('Easter Saturday: a message held past 20:00 is deferred to Tuesday 08:00 with its validity, not expired', async () => {
  // Saturday 4 April 2026; Easter is the 5th, so Sunday and Monday are closed.
  // Paris is UTC+2: Tuesday 08:00 is 06:00:00Z, 60 h after 19:59:55, past the
  // 48 h dispatch.validity would have given from the slot.
  const env = await setup('@2026-04-04 19:59:20');
  try {
    const id = await createCampaign(env, {
      name: 'Pâques', category: 'marketing', text: 'Chocolats -30%', audience: { numbers: ['0612345601'] },
      send_at: '2026-04-04T19:59:55+02:00',
    });
    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal(l.body.status, 'scheduled');
    const [msg] = (await env.api('v1/messages')).body.messages;
    assert.equal(msg.scheduled_for, '2026-04-04T17:59:55.000Z');
    assert.equal(msg.validity_until, '2026-04-06T17:59:55.000Z');
    // relais is down over 19:59:55 and back at 20:00:30: the message is due, and not allowed.
    await env.stop();
    await env.restart_stopped('@2026-04-04 20:00:30');
    const m = await messageWhen(env, msg.id, (x) => x.status === 'scheduled' && x.scheduled_for !== msg.scheduled_for,
      'the message deferred');
    assert.equal(m.scheduled_for, '2026-04-07T06:00:00.000Z');
    assert.equal(m.validity_until, '2026-04-09T06:00:00.000Z'); // 48 h from Tuesday 08:00
    const last = m.events[m.events.length - 1];
    assert.deepEqual([last.status, last.reason], ['scheduled', 'deferred:quiet_hours']);
    assert.ok(!m.events.some((e) => e.status === 'expired'), JSON.stringify(m.events));
    assert.equal(env.sim.seen.submits.length, 0);
    // Tuesday 07:59:58: it goes at 08:00.
    await env.restart('@2026-04-07 07:59:58');
    const rep = await finalReport(env, id);
    assert.equal(rep.delivered, 1);
    assert.deepEqual(env.sim.seen.submits.map((x) => [x.to, x.text]), [['33612345601', `Chocolats -30% ${MENTION}`]]);
    const sent = (await env.api(`v1/messages/${msg.id}`)).body.events.find((e) => e.status === 'submitted');
    assert.ok(Date.parse(sent.at) >= Date.parse('2026-04-07T06:00:00Z'), sent.at);
  } finally {
    await env.cleanup();
  }
});

test('timezone America/New_York: FR numbers at a Paris 10:00 go at 08:00 in New York', async () => {
  // Tuesday 24 November 2026, 10:00 in Paris (UTC+1) is 04:00 in New York
  // (UTC-5): quiet hours there. 08:00 New York is 13:00:00Z, 14:00 in Paris.
  const env = await setup();
  try {
    const id = await createCampaign(env, {
      name: 'NY', category: 'marketing', text: 'Good morning', timezone: 'America/New_York',
      audience: { numbers: ['0612345601', '0612345602'] },
    });
    const s = (await env.api(`v1/campaigns/${id}/summary`)).body;
    assert.equal(s.first_send_at, '2026-11-24T13:00:00.000Z');
    assert.equal(s.last_send_at, '2026-11-24T13:00:00.000Z');
    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal(l.body.status, 'scheduled');
    const msgs = (await env.api('v1/messages')).body.messages;
    assert.deepEqual(msgs.map((m) => m.scheduled_for), ['2026-11-24T13:00:00.000Z', '2026-11-24T13:00:00.000Z']);
    const d = (await env.api(`v1/messages/${msgs[0].id}`)).body;
    assert.equal(d.events[0].reason, 'deferred:quiet_hours');
    // Nothing before: a restart at 13:59:58 Paris sends both at 14:00.
    assert.equal(env.sim.seen.submits.length, 0);
    await env.restart('@2026-11-24 13:59:58');
    const rep = await finalReport(env, id);
    assert.equal(rep.delivered, 2);
    assert.deepEqual(env.sim.seen.submits.map((x) => x.to).sort(), ['33612345601', '33612345602']);
    for (const m of msgs) {
      const sub = (await env.api(`v1/messages/${m.id}`)).body.events.find((e) => e.status === 'submitted');
      assert.ok(Date.parse(sub.at) >= Date.parse('2026-11-24T13:00:00Z'), sub.at);
    }
  } finally {
    await env.cleanup();
  }
});

test('POST /test: at most 10 numbers, sent now (even at 21:00) as rendered, billed, outside the campaign', async () => {
  // Saturday 21:00 in Paris: quiet hours, which test messages ignore.
  const env = await setup('@2026-11-21 21:00:00');
  try {
    const clients = await importList(env, 'clients', CLIENTS);
    const id = await createCampaign(env, {
      name: 'Test', category: 'marketing', template: 'Bonjour #firstname|client#, code #code|WEB#',
      audience: { lists: [clients] },
    });
    const eleven = Array.from({ length: 11 }, (_, i) => `06123456${String(i).padStart(2, '0')}`);
    const over = await post(env, `v1/campaigns/${id}/test`, { numbers: eleven });
    assert.equal(over.status, 422, JSON.stringify(over.body));
    assert.deepEqual([over.body.error.code, over.body.error.field], ['out_of_range', 'numbers']);
    const bad = await post(env, `v1/campaigns/${id}/test`, { numbers: ['0612345601', '12'] });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.deepEqual([bad.body.error.code, bad.body.error.field], ['invalid_phone', 'numbers[1]']);
    assert.deepEqual((await env.api('v1/messages')).body.messages, []); // nothing on a refusal
    assert.equal((await env.api('v1/account')).body.balance, '10');

    // Alice is a contact (her fields); 0699999999 is not (the fallbacks).
    const t = await post(env, `v1/campaigns/${id}/test`, { numbers: ['0612345601', '+33699999999'] });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    assert.equal(t.body.campaign_id, id);
    assert.deepEqual(t.body.messages.map((m) => m.to), ['+33612345601', '+33699999999']);
    // Both delivered (their receipts come after their submit_sm): then the
    // SMSC has had everything relais was going to send.
    for (const m of t.body.messages) await messageWhen(env, m.id, (x) => x.status === 'delivered', `test message ${m.id} delivered`);
    assert.equal(env.sim.seen.submits.length, 2);
    assert.deepEqual(new Map(env.sim.seen.submits.map((x) => [x.to, x.text])), new Map([
      ['33612345601', `Bonjour Alice, code A1 ${MENTION}`],
      ['33699999999', `Bonjour client, code WEB ${MENTION}`],
    ]));
    // Each one segment at 0.05, debited: 10 - 0.1.
    assert.equal((await env.api('v1/account')).body.balance, '9.9');
    for (const m of t.body.messages) {
      const d = (await env.api(`v1/messages/${m.id}`)).body;
      assert.equal(d.category, 'transactional');
      assert.deepEqual(d.metadata, { campaign_test: id });
      assert.equal(d.cost, '0.05');
    }
    // The campaign is still a draft with nothing of its own.
    assert.equal((await env.api(`v1/campaigns/${id}`)).body.status, 'draft');
    assert.equal((await env.api(`v1/campaigns/${id}/report`)).body.messages, 0);
  } finally {
    await env.cleanup();
  }
});

test('the account\'s own opt-out mention replaces the configuration\'s, per country', async () => {
  const env = await setup();
  try {
    const none = await env.api('v1/account');
    assert.equal(none.body.optout_mention, null);
    const patch = (body) => env.api('v1/account', { method: 'PATCH', body: JSON.stringify(body) });
    const refusals = [
      [{ optout_mention: { fr: 'STOP' } }, 422, 'invalid_value', 'optout_mention.fr'],
      [{ optout_mention: { FR: '' } }, 422, 'invalid_value', 'optout_mention.FR'],
      [{ optout_mention: { FR: 'x'.repeat(65) } }, 422, 'invalid_value', 'optout_mention.FR'],
      [{ optout_mention: 'STOP' }, 400, 'invalid_type', 'optout_mention'],
      [{ colour: 'red' }, 400, 'unknown_field', 'colour'],
    ];
    for (const [body, status, code, field] of refusals) {
      const r = await patch(body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.deepEqual([r.body.error.code, r.body.error.field], [code, field]);
    }
    assert.equal((await env.api('v1/account')).body.optout_mention, null);
    const p = await patch({ optout_mention: { FR: 'STOP au 36999', BE: 'STOP 3099' } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.deepEqual(p.body.optout_mention, { FR: 'STOP au 36999', BE: 'STOP 3099' });
    assert.deepEqual((await env.api('v1/account')).body.optout_mention, { FR: 'STOP au 36999', BE: 'STOP 3099' });

    // A French and a Belgian number: the configuration has FR only, the
    // account both. "Promo STOP au 36999" and "Promo STOP 3099": one segment each.
    const id = await createCampaign(env, {
      name: 'FR+BE', category: 'marketing', text: 'Promo', audience: { numbers: ['0612345601', '+32470123456'] },
    });
    const s = (await env.api(`v1/campaigns/${id}/summary`)).body;
    assert.equal(s.can_launch, true, JSON.stringify(s.blocker));
    assert.equal(s.segments, 2);
    assert.equal((await post(env, `v1/campaigns/${id}/launch`)).status, 200);
    await finalReport(env, id);
    assert.equal(env.sim.seen.submits.length, 2);
    assert.deepEqual(new Map(env.sim.seen.submits.map((x) => [x.to, x.text])), new Map([
      ['33612345601', 'Promo STOP au 36999'],
      ['32470123456', 'Promo STOP 3099'],
    ]));

    // Removed: the configuration's apply again, and Belgium has none.
    const r = await patch({ optout_mention: null });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.optout_mention, null);
    const be = await createCampaign(env, { name: 'BE', category: 'marketing', text: 'Promo', audience: { numbers: ['+32470123456'] } });
    const sb = (await env.api(`v1/campaigns/${be}/summary`)).body;
    assert.equal(sb.can_launch, false);
    assert.equal(sb.blocker.code, 'optout_mention_missing');
    assert.match(sb.blocker.message, /BE/);
  } finally {
    await env.cleanup();
  }
});

test('#optout_link#: each phone gets its own opt-out page, counted in the segments', async () => {
  const env = await setup(TUESDAY, ['[http]', 'public_url = https://sms.example.test/r/']);
  try {
    // 100 'a', a space, the link and the mention: the link is
    // "https://sms.example.test/r/u/" (29) and a token of 19 bytes (a version
    // byte, account 1 in one varint byte, 33612345601 < 2^35 in five, a
    // 12-byte MAC) in 26 base64url characters; 100 + 1 + 55 + 14 = 170 GSM
    // characters, 2 segments each (without the link, 115: one).
    const tpl = `${'a'.repeat(100)} #optout_link#`;
    const id = await createCampaign(env, {
      name: 'Lien', category: 'marketing', template: tpl, audience: { numbers: ['0612345601', '0612345602'] },
    });
    const s = (await env.api(`v1/campaigns/${id}/summary`)).body;
    assert.equal(s.segments, 4);
    assert.equal(s.cost, '0.2');
    const asText = await env.api('v1/campaigns', {
      method: 'POST', body: JSON.stringify({ name: 'x', category: 'marketing', text: 'Stop: #optout_link#', audience: { numbers: ['0612345601'] } }),
    });
    assert.equal(asText.status, 422, JSON.stringify(asText.body));
    assert.deepEqual([asText.body.error.code, asText.body.error.field], ['invalid_value', 'text']);

    assert.equal((await post(env, `v1/campaigns/${id}/launch`)).status, 200);
    await finalReport(env, id);
    // Two parts each (UDH), in order on the one session: joined, the text.
    assert.equal(env.sim.seen.submits.length, 4);
    const textTo = (n) => env.sim.to(n).map((x) => x.text).join('');
    for (const number of ['+33612345601', '+33612345602']) {
      assert.equal(env.sim.to(number).length, 2);
      const m = /^a{100} https:\/\/sms\.example\.test\/r(\/u\/[A-Za-z0-9_-]{26}) STOP au 36180$/.exec(textTo(number));
      assert.ok(m, textTo(number));
      // The same path the consent API gives for that number.
      assert.equal(m[1], (await env.api(`v1/optouts/${number}`)).body.optout_path);
    }
    // Alice's link opens her page (her number masked), and opts her out.
    const alice = textTo('+33612345601');
    const page = new URL(alice.match(/\/u\/\S+/)[0].slice(1), env.url);
    const r = await fetch(page, { headers: { 'accept-language': 'fr' } });
    assert.equal(r.status, 200);
    const html = await r.text();
    assert.ok(html.includes('+33•••••••01'), html);
    assert.match(html, /Me désinscrire/);
    assert.equal((await fetch(page, { method: 'POST' })).status, 200);
    assert.equal((await env.api('v1/optouts/+33612345601')).body.opted_out, true);
    assert.equal((await env.api('v1/optouts/+33612345602')).body.opted_out, false);
  } finally {
    await env.cleanup();
  }
});

test('a category opt-out after the launch is refused at send time, and refunded', async () => {
  const env = await setup();
  try {
    for (const n of ['0612345601', '0612345602']) {
      const r = await post(env, 'v1/optins', { number: n, scope: 'offers' });
      assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
    }
    const now = Date.parse((await env.api('v1/health')).headers.get('date'));
    const id = await createCampaign(env, {
      name: 'Offres', category: 'offers', require_optin: true, text: 'Offre', audience: { numbers: ['0612345601', '0612345602'] },
      send_at: new Date(now + 5000).toISOString(),
    });
    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal(l.body.messages, 2);
    assert.equal((await env.api('v1/account')).body.balance, '9.9');
    // Bob leaves the offers (not marketing as a whole) before it is due.
    const o = await post(env, 'v1/optouts', { number: '0612345602', scope: 'offers' });
    assert.ok(o.status === 200 || o.status === 201, JSON.stringify(o.body));
    const rep = await finalReport(env, id, 20000);
    assert.equal(rep.delivered, 1);
    assert.equal(rep.failed, 1);
    assert.deepEqual(rep.failed_by_error, { opted_out: 1 });
    assert.equal(rep.cost, '0.05');
    assert.equal((await env.api('v1/account')).body.balance, '9.95'); // Bob's refunded
    assert.deepEqual(env.sim.seen.submits.map((x) => x.to), ['33612345601']);
    const bob = (await env.api('v1/messages?status=rejected')).body.messages;
    assert.equal(bob.length, 1);
    assert.equal(bob[0].to, '+33612345602');
  } finally {
    await env.cleanup();
  }
});

test('a marketing window that never meets the marketing hours: 422 at creation, and at summary and launch once the hours change', async () => {
  const env = await setup();
  try {
    const base = { name: 'w', category: 'marketing', text: 'Promo', audience: { numbers: ['0612345601'] } };
    const r = await env.api('v1/campaigns', { method: 'POST', body: JSON.stringify({ ...base, window: 'sun 10:00-12:00' }) });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.deepEqual([r.body.error.code, r.body.error.field], ['window_never_allowed', 'window']);
    assert.match(r.body.error.message, /sun 10:00-12:00/);
    assert.match(r.body.error.message, /mon-sat 08:00-20:00/);
    // Transactional has no marketing hours: a Sunday window is its own.
    const t = await env.api('v1/campaigns', {
      method: 'POST', body: JSON.stringify({ ...base, category: 'transactional', window: 'sun 10:00-12:00' }),
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    // Saturdays meet the default hours; then the operator closes Saturdays.
    const id = await createCampaign(env, { ...base, window: 'sat 10:00-12:00' });
    writeFileSync(env.conf, `${readFileSync(env.conf, 'utf8')}[rules]\nmarketing_window = mon-fri 08:00-20:00\n`);
    await env.restart(TUESDAY);
    const s = await env.api(`v1/campaigns/${id}/summary`);
    assert.equal(s.status, 422, JSON.stringify(s.body));
    assert.deepEqual([s.body.error.code, s.body.error.field], ['window_never_allowed', 'window']);
    assert.match(s.body.error.message, /sat 10:00-12:00/);
    assert.match(s.body.error.message, /FR/);
    const l = await post(env, `v1/campaigns/${id}/launch`);
    assert.equal(l.status, 422, JSON.stringify(l.body));
    assert.equal(l.body.error.code, 'window_never_allowed');
    assert.equal((await env.api(`v1/campaigns/${id}`)).body.status, 'draft');
  } finally {
    await env.cleanup();
  }
});

test('POST /v1/messages marketing on Saturday 20:30: held to Monday 08:00, the default validity restarting there; the sender\'s own limit expires it', async () => {
  const env = await setup('@2026-11-21 20:30:00');
  try {
    const send = async (body) => {
      const r = await env.api('v1/messages', { method: 'POST', body: JSON.stringify({ text: 'Promo', from: 'SHOP', category: 'marketing', ...body }) });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.id;
    };
    // No validity given: relais's default (48 h), which a lawful wait must not
    // use up: it restarts at Monday 08:00 (07:00:00Z). One hour given
    // (Saturday 21:30) is the sender's own limit: the message expires.
    const kept = await send({ to: '0612345601' });
    const short = await send({ to: '0612345602', validity: 3600 });
    const k = await messageWhen(env, kept, (m) => m.events.some((e) => e.reason === 'deferred:quiet_hours'), 'deferred');
    assert.equal(k.status, 'scheduled');
    assert.equal(k.scheduled_for, '2026-11-23T07:00:00.000Z');
    // 48 h from Monday 08:00, not from the POST.
    assert.equal(k.validity_until, '2026-11-25T07:00:00.000Z');
    const within = (t, from) => Date.parse(t) >= Date.parse(from) && Date.parse(t) < Date.parse(from) + 10000;
    const x = await messageWhen(env, short, (m) => m.status === 'expired', 'expired');
    assert.ok(within(x.validity_until, '2026-11-21T20:30:00Z'), x.validity_until);
    const last = x.events[x.events.length - 1];
    assert.equal(last.reason, 'deferred_past_validity');
    // Monday 08:00 and its own validity_until, in epoch milliseconds.
    assert.equal(last.detail, `deferred:quiet_hours until=${Date.parse('2026-11-23T07:00:00Z')} validity_until=${Date.parse(x.validity_until)}`);
    assert.equal((await env.api('v1/account')).body.balance, '9.95'); // the expired one refunded
    assert.equal(env.sim.seen.submits.length, 0);
  } finally {
    await env.cleanup();
  }
});
