// Consent as a user and a phone meet it: `relais serve` routes to an SMSC
// played by the npm `smpp` package (code we did not write), which also plays
// the phone: it sends the STOP and START replies as deliver_sm and shows
// which confirmations came back as submit_sm. Everything else goes through
// the HTTP API and the /u/ page. Every wait is a bounded poll.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smpp from 'smpp';
import { relais, spawnWaiting } from './lib.mjs';

const STOP_REPLY = 'Vous ne recevrez plus de SMS de notre part.';
const START_REPLY = "C'est noté : vous recevrez de nouveau nos offres.";

// Polls cond() until it returns a truthy value, at most ms.
async function until(cond, what, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The SMSC: binds relais, accepts every submit_sm (kept with its text and
// sender), answers with an id and a DELIVRD receipt; mo() sends a phone's
// message (UCS-2, so that ARRÊT travels as written) on the bound session.
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
      seen.submits.push({ to: String(pdu.destination_addr), from: String(pdu.source_addr), text });
      const id = `C${++n}`;
      session.send(pdu.response({ message_id: id }));
      session.deliver_sm({
        source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, esm_class: 0x04,
        short_message: Buffer.from(`id:${id} sub:001 dlvrd:001 submit date:2401010000 done date:2401010001 stat:DELIVRD err:000 text:x`),
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    seen,
    bound: () => bound,
    mo: (from, text) => new Promise((resolve, reject) => {
      bound.deliver_sm({
        source_addr_ton: 1, source_addr_npi: 1, source_addr: from, destination_addr: '36180',
        esm_class: 0, data_coding: 8, short_message: Buffer.from(text, 'utf16le').swap16(),
      }, (r) => (r.command_status === 0 ? resolve() : reject(new Error(`deliver_sm_resp ${r.command_status}`))));
    }),
    close: () => { if (bound) bound.close(); server.close(); },
  };
}

async function setup() {
  const sim = await smsc();
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-consent-'));
  const conf = path.join(dir, 'relais.conf');
  writeFileSync(conf, [
    '[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[billing]', 'default_price = 0', 'prices = ',
    '[consent]', `stop_reply = ${STOP_REPLY}`, `start_reply = ${START_REPLY}`,
    // Consent, not timing, is under test: marketing may go at any hour, so
    // that the test means the same on a Sunday night (docs/timing.md).
    '[rules]', 'marketing_window = 00:00-24:00', 'marketing_holidays = false',
    '[route smsc]', 'host = 127.0.0.1', `port = ${sim.port}`, 'system_id = relais', 'password = relais',
    'reconnect_min = 100ms', 'default_sender = SHOP', '',
  ].join('\n'));
  const keys = {};
  for (const acc of ['acme', 'beta']) {
    const k = relais(['keys', 'create', '--account', acc, '--config', conf]);
    assert.equal(k.code, 0, k.stderr);
    keys[acc] = k.stdout.split('\n')[0].trim();
  }
  const serve = spawnWaiting(['serve', '--config', conf, '--port', '0']);
  const url = await serve.ready;
  await until(() => sim.bound(), 'relais bound to the SMSC');
  const api = (acc) => async (p, init = {}) => {
    const r = await fetch(new URL(p, url), {
      ...init, headers: { authorization: `Bearer ${keys[acc]}`, 'content-type': 'application/json' },
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
  };
  return {
    url, sim, serve, acme: api('acme'), beta: api('beta'),
    cleanup: async () => {
      if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGTERM');
      const end = await serve.exited;
      sim.close();
      rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(end, { code: 0, sig: null }, serve.log().slice(-3000));
    },
  };
}

async function send(api, to, text, category) {
  const r = await api('v1/messages', { method: 'POST', body: JSON.stringify({ to, text, category }) });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.id;
}

async function settled(api, id) {
  return until(async () => {
    const r = await api(`v1/messages/${id}`);
    return ['delivered', 'rejected', 'failed'].includes(r.body.status) ? r.body : null;
  }, `message ${id} final`);
}

const submitsTo = (sim, to, text) => sim.seen.submits.filter((s) => s.to === to && (!text || s.text === text));

test('STOP by SMS: opted out with its source, marketing refused, transactional sent, confirmation back; START undoes it', async () => {
  const env = await setup();
  const { acme, sim } = env;
  try {
    const n = '+33611111111';
    let m = await settled(acme, await send(acme, n, 'Promo -20% ce week-end', 'marketing'));
    assert.equal(m.status, 'delivered');
    assert.equal(submitsTo(sim, '33611111111').length, 1);

    await sim.mo('33611111111', 'Stop.');
    const c = await until(async () => {
      const r = await acme(`v1/optouts/${n}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.opted_out ? r.body : null;
    }, 'the opt-out');
    assert.deepEqual(c.scopes.map((s) => [s.scope, s.status, s.source]), [['marketing', 'opted_out', 'keyword']]);
    assert.equal(c.history.length, 1);
    assert.equal(c.history[0].action, 'opt_out');
    assert.equal(c.history[0].source, 'keyword');
    assert.match(c.history[0].detail, /^inbound=\d+ keyword=stop$/);
    // The confirmation, from the route's default sender.
    const reply = await until(() => submitsTo(sim, '33611111111', STOP_REPLY)[0], 'the STOP confirmation at the SMSC');
    assert.equal(reply.from, 'SHOP');

    // Marketing is refused at send time; transactional still goes.
    m = await settled(acme, await send(acme, n, 'Nouvelle promo', 'marketing'));
    assert.equal(m.status, 'rejected');
    assert.ok(m.events.some((e) => e.status === 'rejected' && e.reason === 'opted_out'), JSON.stringify(m.events));
    m = await settled(acme, await send(acme, n, 'Votre colis arrive demain', 'transactional'));
    assert.equal(m.status, 'delivered');
    assert.equal(submitsTo(sim, '33611111111', 'Nouvelle promo').length, 0);

    // The opt-out is acme's: beta may still send marketing to the number.
    m = await settled(env.beta, await send(env.beta, n, 'Offre beta', 'marketing'));
    assert.equal(m.status, 'delivered');

    // START: back in, confirmed, and marketing goes again. (The latest
    // message to the number was beta's, on the same route: START goes to
    // beta, so acme's opt-in is done through the API below, and beta's
    // START is checked on beta.)
    await sim.mo('33611111111', 'START');
    await until(() => submitsTo(sim, '33611111111', START_REPLY)[0], 'the START confirmation');
    const b = await env.beta(`v1/optouts/${n}`);
    assert.deepEqual(b.body.scopes.map((s) => [s.scope, s.status, s.source]), [['marketing', 'opted_in', 'keyword']]);
    // acme: the last message to the number is acme's again, then START from the phone.
    await settled(acme, await send(acme, n, 'Rappel de livraison', 'transactional'));
    await sim.mo('33611111111', ' start ');
    await until(async () => !(await acme(`v1/optouts/${n}`)).body.opted_out, 'acme opt-in');
    m = await settled(acme, await send(acme, n, 'Promo de retour', 'marketing'));
    assert.equal(m.status, 'delivered');
    const h = (await acme(`v1/optouts/${n}`)).body.history;
    assert.deepEqual(h.map((e) => `${e.action}:${e.source}`), ['opt_out:keyword', 'opt_in:keyword']);
  } finally {
    await env.cleanup();
  }
});

test('an account that turns the STOP confirmation off gets the opt-out and no confirmation', async () => {
  const env = await setup();
  const { beta, sim } = env;
  try {
    let r = await beta('v1/consent/settings');
    assert.deepEqual(r.body, { stop_reply: true });
    r = await beta('v1/consent/settings', { method: 'PATCH', body: JSON.stringify({ stop_reply: false }) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { stop_reply: false });
    r = await beta('v1/consent/settings', { method: 'PATCH', body: JSON.stringify({ stop_reply: 'no' }) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_type');
    // acme keeps its default.
    assert.deepEqual((await env.acme('v1/consent/settings')).body, { stop_reply: true });

    const n = '+33622222222';
    await settled(beta, await send(beta, n, 'Soldes', 'marketing'));
    await sim.mo('33622222222', 'ARRÊT');
    await until(async () => (await beta(`v1/optouts/${n}`)).body.opted_out, 'the opt-out');
    // The confirmation would have been queued in the opt-out's own commit:
    // the account's messages hold none.
    const list = await beta('v1/messages?limit=100');
    assert.deepEqual(list.body.messages.map((x) => x.text), ['Soldes']);
    // And the SMSC got nothing but the first message: a transactional one
    // sent now arrives after anything queued before it.
    await settled(beta, await send(beta, n, 'Votre commande est prête', 'transactional'));
    assert.deepEqual(submitsTo(sim, '33622222222').map((s) => s.text), ['Soldes', 'Votre commande est prête']);
  } finally {
    await env.cleanup();
  }
});

test('/v1/optouts and /v1/optins: create, list, history, lift, refusals, per account', async () => {
  const env = await setup();
  const { acme, beta } = env;
  try {
    const post = (api, p, body) => api(p, { method: 'POST', body: JSON.stringify(body) });
    let r = await post(acme, 'v1/optouts', { number: '06 33 33 33 33' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.headers.get('location'), '/v1/optouts/+33633333333');
    assert.equal(r.body.number, '+33633333333');
    assert.equal(r.body.scope, 'marketing');
    assert.equal(r.body.status, 'opted_out');
    assert.equal(r.body.source, 'api');
    assert.match(r.body.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    r = await post(acme, 'v1/optouts', { number: '+33633333333', scope: 'marketing' });
    assert.equal(r.status, 200, 'the same opt-out again changes nothing');
    r = await post(acme, 'v1/optouts', { number: '+33644444444', scope: 'offers' });
    assert.equal(r.status, 201);
    r = await post(acme, 'v1/optins', { number: '+33633333333', scope: 'orders' });
    assert.equal(r.status, 201);
    assert.equal(r.body.status, 'opted_in');

    // The list: two opt-outs by number, one per page with the cursor.
    r = await acme('v1/optouts');
    assert.deepEqual(r.body.optouts.map((o) => [o.number, o.scope]), [['+33633333333', 'marketing'], ['+33644444444', 'offers']]);
    assert.equal(r.body.next_cursor, null);
    r = await acme('v1/optouts?limit=1');
    assert.equal(r.body.optouts.length, 1);
    const next = await acme(`v1/optouts?limit=1&cursor=${encodeURIComponent(r.body.next_cursor)}`);
    assert.deepEqual(next.body.optouts.map((o) => o.number), ['+33644444444']);
    assert.equal(next.body.next_cursor, null);
    r = await acme('v1/optouts?scope=offers');
    assert.deepEqual(r.body.optouts.map((o) => o.number), ['+33644444444']);
    // Another account sees none of it.
    assert.deepEqual((await beta('v1/optouts')).body.optouts, []);
    assert.equal((await beta('v1/optouts/+33633333333')).body.opted_out, false);

    // One number: each scope and the history, with the key that did it.
    r = await acme('v1/optouts/0633333333');
    assert.equal(r.status, 200);
    assert.equal(r.body.number, '+33633333333');
    assert.equal(r.body.opted_out, true);
    assert.deepEqual(r.body.scopes.map((s) => [s.scope, s.status]), [['marketing', 'opted_out'], ['orders', 'opted_in']]);
    assert.deepEqual(r.body.history.map((e) => [e.scope, e.action, e.source]), [['marketing', 'opt_out', 'api'], ['orders', 'opt_in', 'api']]);
    assert.match(r.body.history[0].detail, /^key=\d+$/);
    assert.match(r.body.optout_path, /^\/u\/[A-Za-z0-9_-]{20,40}$/);

    // Lift it: opted back in, one more event; a second time there is nothing to lift.
    r = await acme('v1/optouts/+33633333333', { method: 'DELETE' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.opted_out, false);
    assert.equal(r.body.history.length, 3);
    assert.deepEqual(r.body.history[2], { ...r.body.history[2], scope: 'marketing', action: 'opt_in', source: 'api' });
    r = await acme('v1/optouts/+33633333333', { method: 'DELETE' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'not_found');
    r = await acme('v1/optouts/+33644444444?scope=offers', { method: 'DELETE' });
    assert.equal(r.status, 200);
    assert.deepEqual((await acme('v1/optouts')).body.optouts, []);

    // Refusals, in the one error shape.
    const bad = [
      [await post(acme, 'v1/optouts', { number: '123' }), 422, 'invalid_phone', 'number'],
      [await post(acme, 'v1/optouts', { number: '+33655555555', scope: 'Offers!' }), 422, 'invalid_scope', 'scope'],
      [await post(acme, 'v1/optouts', { number: '+33655555555', scope: 'transactional' }), 422, 'invalid_scope', 'scope'],
      [await post(acme, 'v1/optouts', { number: '+33655555555', source: 'link' }), 400, 'unknown_field', 'source'],
      [await post(acme, 'v1/optouts', { scope: 'offers' }), 400, 'missing_field', 'number'],
      [await post(acme, 'v1/optins', { number: 33655555555 }), 400, 'invalid_type', 'number'],
      [await acme('v1/optouts?limit=0'), 422, 'out_of_range', 'limit'],
      [await acme('v1/optouts?cursor=nope'), 400, 'invalid_cursor', 'cursor'],
      [await acme('v1/optouts?colour=red'), 400, 'unknown_parameter', 'colour'],
      [await acme('v1/optouts/abc'), 422, 'invalid_phone', 'number'],
    ];
    for (const [res, status, code, field] of bad) {
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code, JSON.stringify(res.body));
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
    }
    r = await fetch(new URL('v1/optouts', env.url));
    assert.equal(r.status, 401);
  } finally {
    await env.cleanup();
  }
});

test('/u/<token>: GET shows a button and changes nothing, POST opts out and says so, in French or English', async () => {
  const env = await setup();
  const { acme } = env;
  try {
    const n = '+33677777777';
    const p = (await acme(`v1/optouts/${n}`)).body.optout_path;
    const page = (init = {}) => fetch(new URL(p.slice(1), env.url), init);

    let r = await page({ headers: { 'accept-language': 'en-US,en;q=0.9,fr;q=0.5' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('content-language'), 'en');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    let html = await r.text();
    assert.match(html, /<form method="post"><button type="submit">Unsubscribe<\/button><\/form>/);
    assert.match(html, /promotional SMS from <strong>acme<\/strong>/);
    assert.ok(html.includes('+33•••••••77'), html);
    assert.ok(!html.includes(n), 'the full number is not shown');
    assert.ok(!/<script/i.test(html));
    // Fetching the page changed nothing.
    assert.equal((await acme(`v1/optouts/${n}`)).body.opted_out, false);

    r = await page();
    assert.equal(r.headers.get('content-language'), 'fr');
    html = await r.text();
    assert.match(html, /<html lang="fr">/);
    assert.match(html, /Me désinscrire/);

    r = await page({ method: 'POST' });
    assert.equal(r.status, 200);
    html = await r.text();
    assert.match(html, /C'est fait : <strong>acme<\/strong> ne vous enverra plus de SMS promotionnels/);
    const c = (await acme(`v1/optouts/${n}`)).body;
    assert.equal(c.opted_out, true);
    assert.deepEqual(c.history.map((e) => [e.action, e.source]), [['opt_out', 'link']]);
    // Again: the page says it is done already; no second event.
    html = await (await page()).text();
    assert.match(html, /Vous êtes déjà désinscrit/);
    assert.doesNotMatch(html, /<form/);
    await page({ method: 'POST' });
    assert.equal((await acme(`v1/optouts/${n}`)).body.history.length, 1);
    // And marketing to it is refused.
    const m = await settled(acme, await send(acme, n, 'Promo', 'marketing'));
    assert.equal(m.status, 'rejected');

    // An altered token: a page saying so, nothing done.
    const t = p.slice(3);
    const altered = `/u/${t.slice(0, -2)}${t.endsWith('AA') ? 'BB' : 'AA'}`;
    r = await fetch(new URL(altered.slice(1), env.url), { method: 'POST', headers: { 'accept-language': 'en' } });
    assert.equal(r.status, 404);
    assert.match(await r.text(), /This unsubscribe link is not valid/);
  } finally {
    await env.cleanup();
  }
});

test('a second STOP from a number opted out already gets no second confirmation; nor a second START', async () => {
  const env = await setup();
  const { acme, sim } = env;
  try {
    const n = '+33655555555';
    await settled(acme, await send(acme, n, 'Promo', 'marketing'));
    // A deliver_sm is answered once its inbound message is durable (in the
    // receive journal); the store applies inbound messages in the order they
    // came, each with its consent change and any confirmation in one commit.
    // So a confirmation that appears proves every earlier message applied:
    // each check below waits for the next change's confirmation, then counts.
    const replies = async (text) => (await acme('v1/messages?limit=100')).body.messages.filter((m) => m.text === text).length;
    await sim.mo('33655555555', 'STOP');
    await until(async () => (await replies(STOP_REPLY)) === 1, 'the STOP confirmation');
    await sim.mo('33655555555', 'stop');
    await sim.mo('33655555555', 'ARRET');
    await sim.mo('33655555555', 'START');
    await until(async () => (await replies(START_REPLY)) === 1, 'the START confirmation');
    assert.equal(await replies(STOP_REPLY), 1, 'no confirmation of a STOP that changed nothing');
    // The history shows the two changes, no more.
    assert.deepEqual((await acme(`v1/optouts/${n}`)).body.history.map((e) => e.action), ['opt_out', 'opt_in']);
    await sim.mo('33655555555', 'START');
    await sim.mo('33655555555', 'STOP');
    await until(async () => (await replies(STOP_REPLY)) === 2, 'the second STOP confirmation');
    assert.equal(await replies(START_REPLY), 1, 'no confirmation of a START that changed nothing');
    // At the SMSC: the first message and the three confirmations, in order.
    await until(() => submitsTo(sim, '33655555555').length === 4, 'the confirmations at the SMSC');
    assert.deepEqual(submitsTo(sim, '33655555555').map((s) => s.text), ['Promo', STOP_REPLY, START_REPLY, STOP_REPLY]);
  } finally {
    await env.cleanup();
  }
});
