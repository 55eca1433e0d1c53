// The messages API as a client sees it: the real binary on an ephemeral port,
// a fresh SQLite file, API keys from `relais keys create`, credit from
// `relais accounts credit`, and nothing but HTTP afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { relais, spawnWaiting, waitFor } from './lib.mjs';

let dir, db, server, url;
const keys = {};

function createKey(account) {
  const r = relais(['keys', 'create', '--account', account, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const key = r.stdout.split('\n')[0];
  assert.match(key, /^rl_[A-Za-z0-9_-]{43}$/);
  return key;
}

// The opening credit, as an operator gives it: relais accounts credit.
function credit(account, amount) {
  const r = relais(['accounts', 'credit', '--account', account, '--amount', amount, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `account=${account} balance=${amount}`);
}

function start() {
  const s = spawnWaiting(['serve', '--db', db, '--port', '0']);
  return { ...s, listening: s.ready };
}

// One request: body is JSON-encoded unless it is already a string or a Buffer.
async function api(method, p, { key, body, headers = {} } = {}) {
  const h = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body = JSON.stringify(body);
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(new URL(p.replace(/^\//, ''), url), { method, headers: h, body });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null };
}

const send = (key, body, headers) => api('POST', '/v1/messages', { key, body, headers });

// A POST /v1/messages held open: its headers and the first bytes of its body
// go now, the rest on release(); done resolves with the answer.
function heldPost(key, idempotencyKey, body) {
  const buf = Buffer.from(JSON.stringify(body));
  let rq;
  const done = new Promise((resolve, reject) => {
    rq = http.request(new URL('v1/messages', url), {
      method: 'POST', agent: false,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json',
        'content-length': String(buf.length), 'idempotency-key': idempotencyKey },
    }, async (res) => {
      let text = '';
      for await (const chunk of res) text += chunk;
      resolve({ status: res.statusCode, headers: new Headers(res.headers), json: JSON.parse(text) });
    });
    rq.on('error', reject);
    rq.write(buf.subarray(0, 8));
  });
  return { done, release: () => rq.end(buf.subarray(8)) };
}

async function listAll(key, query = '') {
  const r = await api('GET', `/v1/messages?limit=1000${query}`, { key });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.messages;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'relais-api-'));
  db = path.join(dir, 'relais.db');
  for (const a of ['demo', 'bad', 'idem', 'batch', 'poor', 'big']) keys[a] = createKey(a);
  for (const a of ['demo', 'bad', 'idem', 'batch']) credit(a, '100');
  credit('big', '1000'); // 10,000 messages at 0.045
  server = start();
  url = await server.listening;
});

after(async () => {
  server.child.kill('SIGTERM');
  const { code } = await server.exited;
  assert.equal(code, 0, server.log());
  rmSync(dir, { recursive: true, force: true });
});

test('no key, another scheme or an unknown key: 401 with WWW-Authenticate; health stays public', async () => {
  const cases = [
    {},
    { headers: { authorization: 'Basic ZGVtbzpkZW1v' } },
    { headers: { authorization: 'Bearer' } },
    { key: 'rl_' + 'A'.repeat(43) },
    { key: 'not-a-key' },
  ];
  for (const route of [['POST', '/v1/messages'], ['GET', '/v1/messages'], ['POST', '/v1/messages/batch'],
    ['GET', '/v1/messages/1'], ['DELETE', '/v1/messages/1']]) {
    for (const c of cases) {
      const r = await api(route[0], route[1], { ...c, body: route[0] === 'POST' ? { to: '0610203040', text: 'x' } : undefined });
      assert.equal(r.status, 401, `${route} ${JSON.stringify(c)}`);
      assert.equal(r.json.error.code, 'unauthorized');
      assert.match(r.headers.get('www-authenticate'), /^Bearer realm="relais"/);
    }
  }
  assert.equal((await api('GET', '/v1/health')).status, 200);
  assert.equal((await api('GET', '/openapi.json')).status, 200);
  assert.deepEqual(await listAll(keys.poor), [], 'nothing stored');
});

test('POST /v1/messages: 202 with the message in E.164, its encoding, segments and cost', async () => {
  const t0 = Date.now();
  const r = await send(keys.demo, { to: '0610203040', text: 'Bonjour' });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  const { id, scheduled_for: when } = r.json;
  assert.ok(Number.isInteger(id) && id > 0);
  assert.match(when, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(when) - t0) < 5000);
  assert.deepEqual(r.json, {
    id, status: 'queued', to: '+33610203040', encoding: 'gsm7', segments: 1, cost: '0.045',
    scheduled_for: when,
  });
  assert.equal(r.headers.get('location'), `/v1/messages/${id}`);
  const g = await api('GET', `/v1/messages/${id}`, { key: keys.demo });
  assert.equal(g.status, 200);
  assert.equal(g.json.text, 'Bonjour');
  assert.equal(g.json.category, 'transactional');
  assert.equal(g.json.from, null);
  assert.deepEqual(g.json.parts, []);
  assert.equal(g.json.events[0].status, 'queued');
  assert.equal(g.json.events[0].reason, 'api');
});

test('template, sender, category, UCS-2, smart encoding, schedule, validity and metadata', async () => {
  const ahead = new Date(Date.now() + 86400000).toISOString();
  let r = await send(keys.demo, {
    to: '+32470123456', template: 'Bonjour #FirstName|client#, commande #order.ref# prête', from: 'MaBoutique',
    data: { firstname: 'Zoé', order: { ref: 'A-42' } }, category: 'marketing', validity: 3600,
    send_at: ahead, metadata: { crm: 12, tags: ['vip'] },
  });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  assert.equal(r.json.status, 'scheduled');
  assert.equal(r.json.scheduled_for, ahead);
  assert.equal(r.json.to, '+32470123456');
  let g = (await api('GET', `/v1/messages/${r.json.id}`, { key: keys.demo })).json;
  assert.equal(g.text, 'Bonjour Zoé, commande A-42 prête');
  assert.equal(g.from, 'MaBoutique');
  assert.equal(g.category, 'marketing');
  assert.equal(Date.parse(g.validity_until) - Date.parse(ahead), 3600 * 1000);
  assert.deepEqual(g.metadata, { crm: 12, tags: ['vip'] });

  r = await send(keys.demo, { to: '0610203040', text: 'Привет' });
  assert.equal(r.json.encoding, 'ucs2');
  r = await send(keys.demo, { to: '0610203040', text: 'C’est l’été' });
  assert.equal(r.json.encoding, 'ucs2');
  r = await send(keys.demo, { to: '0610203040', text: 'C’est l’été', smart_encoding: true });
  assert.equal(r.json.encoding, 'gsm7');
  g = (await api('GET', `/v1/messages/${r.json.id}`, { key: keys.demo })).json;
  assert.equal(g.text, "C'est l'été");
  r = await send(keys.demo, { to: '0610203040', text: 'a'.repeat(161) });
  assert.equal(r.json.segments, 2);
  assert.equal(r.json.cost, '0.09');
  r = await send(keys.demo, { to: '0610203040', text: 'past', send_at: '2001-01-01T00:00:00Z' });
  assert.equal(r.json.status, 'queued', 'a time in the past means now');
});

test('each bad request: its status, code and field, and nothing stored', async () => {
  const long = 'a'.repeat(153 * 10 + 1);
  const cases = [
    ['{"to":', 400, 'invalid_json', undefined],
    ['{"to":"0610203040","to":"0610203041","text":"x"}', 400, 'invalid_json', undefined],
    ['{"to":"0610203040","text":"x"} trailing', 400, 'invalid_json', undefined],
    ['', 400, 'invalid_json', undefined],
    ['[1]', 400, 'invalid_type', undefined],
    [{ to: '0610203040', text: 'x', colour: 'red' }, 400, 'unknown_field', 'colour'],
    [{ to: 33610203040, text: 'x' }, 400, 'invalid_type', 'to'],
    [{ to: '0610203040', text: 'x', validity: '3600' }, 400, 'invalid_type', 'validity'],
    [{ to: '0610203040', text: 'x', validity: 3600.5 }, 400, 'invalid_type', 'validity'],
    [{ to: '0610203040', text: 'x', smart_encoding: 'yes' }, 400, 'invalid_type', 'smart_encoding'],
    [{ to: '0610203040', text: 'x', metadata: [1] }, 400, 'invalid_type', 'metadata'],
    [{ text: 'x' }, 400, 'missing_field', 'to'],
    [{ to: '0610203040' }, 400, 'missing_field', 'text'],
    [{ to: '0610203040', text: 'x', template: 'y' }, 400, 'conflicting_fields', 'template'],
    [{ to: '0610203040', text: 'x', data: {} }, 400, 'conflicting_fields', 'data'],
    [{ to: '0610', text: 'x' }, 422, 'invalid_phone', 'to'],
    [{ to: 'hello', text: 'x' }, 422, 'invalid_phone', 'to'],
    [{ to: '0610203040', text: 'x', from: 'MaBoutique2024' }, 422, 'invalid_sender', 'from'],
    [{ to: '0610203040', text: 'x', category: 'promo' }, 422, 'invalid_value', 'category'],
    [{ to: '0610203040', text: 'x', send_at: 'tomorrow' }, 422, 'invalid_time', 'send_at'],
    [{ to: '0610203040', text: 'x', send_at: '2026-02-30T10:00:00Z' }, 422, 'invalid_time', 'send_at'],
    [{ to: '0610203040', text: 'x', validity: 10 }, 422, 'out_of_range', 'validity'],
    [{ to: '0610203040', text: long }, 422, 'too_long', 'text'],
    [{ to: '0610203040', text: '' }, 422, 'empty_text', 'text'],
    [{ to: '0610203040', template: 'Bonjour #firstname#', data: { name: 'Zoé' } }, 422,
      'unknown_template_field', 'data'],
    [{ to: '0610203040', template: 'Bonjour #firstname#', data: { firstname: ['Zoé'] } }, 422,
      'invalid_template_data', 'data'],
    [{ to: '0610203040', text: 'x', metadata: { big: 'x'.repeat(5000) } }, 422, 'too_long', 'metadata'],
  ];
  for (const [body, status, code, field] of cases) {
    const r = await send(keys.bad, body);
    const what = typeof body === 'string' ? body : JSON.stringify(body).slice(0, 80);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, code, what);
    assert.equal(r.json.error.field, field, what);
    assert.equal(typeof r.json.error.message, 'string');
  }
  // Messages name what is wrong.
  let r = await send(keys.bad, { to: '0610203040', text: 'x', colour: 'red' });
  assert.match(r.json.error.message, /unknown field 'colour' \(known: to, text, template/);
  r = await send(keys.bad, { to: 33610203040, text: 'x' });
  assert.equal(r.json.error.message, 'to must be a string, not integer');
  r = await send(keys.bad, { to: '0610203040', text: long });
  assert.match(r.json.error.message, /needs 11 parts .* the limit is 10/);
  r = await send(keys.bad, { to: '0610203040', template: 'Bonjour #firstname#', data: { name: 'Zoé' } });
  assert.match(r.json.error.message, /unknown field 'firstname' \(known: name\)/);
  r = await send(keys.bad, { to: '0610', text: 'x' });
  assert.match(r.json.error.message, /0610/);
  // The body cap, and a malformed Idempotency-Key.
  r = await send(keys.bad, Buffer.alloc((1 << 20) + 1, 0x20));
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, 'body_too_large');
  r = await send(keys.bad, { to: '0610203040', text: 'x' }, { 'idempotency-key': 'k'.repeat(256) });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'Idempotency-Key');
  // Not enough credit: refused, nothing debited or stored.
  r = await send(keys.poor, { to: '0610203040', text: 'Bonjour' });
  assert.equal(r.status, 422);
  assert.equal(r.json.error.code, 'insufficient_credit');
  assert.match(r.json.error.message, /balance \(0 EUR\) does not cover the cost \(0\.045 EUR\)/);
  assert.deepEqual(await listAll(keys.bad), []);
  assert.deepEqual(await listAll(keys.poor), []);
});

// The rest of the issue's list of bad requests (429 is not here: per-key rate
// limiting does not exist yet). Expected codes come from docs/api.md (400:
// not readable as described, field naming the member; 404/405 from the route
// table; 413 over http.max_body, 1 MiB by default; 422: a value refused) and,
// for what JSON cannot carry, from jansson's documented decoder limits.
test('more bad requests: each member\'s wrong type, unreadable JSON, unknown paths, batch bodies, header and query limits', async () => {
  const ok = { to: '0610203040', text: 'x' };
  // A wrong type for every member; null is "absent" for optional members
  // only. The message names the member, the type wanted and the one given.
  const wrong = [
    ['to', null, 'a string', 'null'], ['text', 5, 'a string', 'integer'], ['template', ['x'], 'a string', 'array'],
    ['from', 12, 'a string', 'integer'], ['category', true, 'a string', 'boolean'],
    ['send_at', 1700000000, 'a string', 'integer'], ['smart_encoding', 1, 'a boolean', 'integer'],
    ['validity', 3600.0001, 'an integer', 'number'], ['metadata', 'x', 'an object', 'string'],
    ['data', [], 'an object', 'array'],
  ];
  for (const [field, value, want, got] of wrong) {
    const body = field === 'data' ? { to: ok.to, template: 'y', data: value } : { ...ok, [field]: value };
    const r = await send(keys.bad, body);
    assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.json)}`);
    assert.deepEqual([r.json.error.code, r.json.error.field], ['invalid_type', field]);
    assert.equal(r.json.error.message, `${field} must be ${want}, not ${got}`);
  }
  const fine = await send(keys.demo, { ...ok, from: null, category: null, send_at: null, metadata: null });
  assert.equal(fine.status, 202, JSON.stringify(fine.json));

  // Bodies that are not JSON a decoder can hold: invalid UTF-8, a NUL in a
  // string, an integer past 64 bits, nesting past any sane depth. 400, and
  // the server is still there to say so.
  const unreadable = [
    Buffer.concat([Buffer.from('{"to":"0610203040","text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    '{"to":"0610203040","text":"a\\u0000b"}',
    '{"to":"0610203040","text":"x","validity":99999999999999999999999}',
    '{"to":' + '['.repeat(100000) + ']'.repeat(100000) + ',"text":"x"}',
  ];
  for (const body of unreadable) {
    const r = await send(keys.bad, body);
    assert.equal(r.status, 400, `${String(body).slice(0, 60)}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, 'invalid_json', String(body).slice(0, 60));
    assert.match(r.json.error.message, /line \d+ column \d+/);
  }
  assert.equal((await api('GET', '/v1/health')).status, 200);

  // Values past the documented bounds: send_at at most 366 days ahead,
  // validity within [dispatch] validity's 60 s .. 72 h.
  const far = new Date(Date.now() + 400 * 86400000).toISOString();
  for (const [body, field] of [[{ ...ok, send_at: far }, 'send_at'], [{ ...ok, validity: 259201 }, 'validity'],
    [{ ...ok, validity: 59 }, 'validity']]) {
    const r = await send(keys.bad, body);
    assert.equal(r.status, 422, JSON.stringify(r.json));
    assert.deepEqual([r.json.error.code, r.json.error.field], ['out_of_range', field]);
  }

  // Paths and methods the API does not have.
  for (const [method, p, status] of [['GET', '/v1/nope', 404], ['POST', '/v1/message', 404], ['GET', '/v1/messages/1/parts', 404],
    ['GET', '/v2/messages', 404], ['POST', '/v1/messages/1', 405], ['DELETE', '/v1/messages', 405]]) {
    const r = await api(method, p, { key: keys.bad, body: method === 'POST' ? ok : undefined });
    assert.equal(r.status, status, `${method} ${p}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, status === 404 ? 'not_found' : 'method_not_allowed', `${method} ${p}`);
  }

  // The batch endpoint reads its body the same way.
  const batch = (body, headers) => api('POST', '/v1/messages/batch', { key: keys.bad, body, headers });
  for (const [body, status, code] of [['{"messages":[', 400, 'invalid_json'], ['', 400, 'invalid_json'],
    ['[{"to":"0610203040","text":"x"}]', 400, 'invalid_type'], [{ messages: [ok], colour: 1 }, 400, 'unknown_field'],
    [Buffer.alloc((16 << 20) + 1, 0x20), 413, 'body_too_large']]) {
    const r = await batch(body);
    assert.equal(r.status, status, `${String(JSON.stringify(body)).slice(0, 60)}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, code);
  }
  const h = await batch({ messages: [ok] }, { 'idempotency-key': 'b1' });
  assert.deepEqual([h.status, h.json.error.code, h.json.error.field], [400, 'unsupported_header', 'Idempotency-Key']);

  // Idempotency-Key: 1 to 255 visible ASCII characters.
  for (const k of ['', 'a b', 'k'.repeat(256), 'tab\there']) {
    const r = await send(keys.bad, ok, { 'idempotency-key': k });
    assert.equal(r.status, 400, JSON.stringify(k));
    assert.deepEqual([r.json.error.code, r.json.error.field], ['invalid_idempotency_key', 'Idempotency-Key'], JSON.stringify(k));
  }
  const longest = await send(keys.demo, ok, { 'idempotency-key': '~'.repeat(255) });
  assert.equal(longest.status, 202, JSON.stringify(longest.json));

  // A list query with more parameters than the API reads is refused whole.
  const many = Array.from({ length: 40 }, (_, i) => `p${i}=1`).join('&');
  const q = await api('GET', `/v1/messages?${many}`, { key: keys.bad });
  assert.equal(q.status, 400, JSON.stringify(q.json));

  assert.deepEqual(await listAll(keys.bad), [], 'nothing stored');
});

test('Idempotency-Key: same body, same message; another body, 422; 32 at once, one message', async () => {
  const body = { to: '0610203040', text: 'Votre code: 1234', metadata: { a: 1, b: 2 } };
  const first = await send(keys.idem, body, { 'idempotency-key': 'order-1' });
  assert.equal(first.status, 202);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  // The same JSON value, written otherwise (order, whitespace), is the same request.
  const again = await send(keys.idem, '{ "metadata": {"b":2, "a":1}, "text": "Votre code: 1234", "to": "0610203040" }',
    { 'idempotency-key': 'order-1' });
  assert.equal(again.status, 202);
  assert.deepEqual(again.json, first.json);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  const other = await send(keys.idem, { ...body, text: 'Votre code: 9999' }, { 'idempotency-key': 'order-1' });
  assert.equal(other.status, 422);
  assert.equal(other.json.error.code, 'idempotency_key_reused');
  assert.equal(other.json.error.field, 'Idempotency-Key');
  // Keys are per account: another account may use the same one.
  const elsewhere = await send(keys.demo, body, { 'idempotency-key': 'order-1' });
  assert.equal(elsewhere.status, 202);
  assert.notEqual(elsewhere.json.id, first.json.id);
  // A refused request stores nothing, not even its key.
  let r = await send(keys.idem, { to: '0610', text: 'x' }, { 'idempotency-key': 'order-2' });
  assert.equal(r.status, 422);
  r = await send(keys.idem, { to: '0610203040', text: 'fixed' }, { 'idempotency-key': 'order-2' });
  assert.equal(r.status, 202);

  // 32 posts with one key that truly overlap: the first is held open (its
  // headers and a part of its body sent, the rest later), so the other 31
  // arrive while it is in flight, deterministically.
  const burst = { to: '0610203040', text: 'burst' };
  const held = heldPost(keys.idem, 'burst-1', burst);
  // The server holds the key once it has read the first's headers: probe
  // with a body it would refuse anyway (400, nothing stored) until the
  // probe gets the 409 that says so. A bounded poll, not a sleep.
  await waitFor(async () => (await send(keys.idem, {}, { 'idempotency-key': 'burst-1' })).status === 409,
    { what: 'the first post held in flight' });
  const others = await Promise.all(Array.from({ length: 31 },
    () => send(keys.idem, burst, { 'idempotency-key': 'burst-1' })));
  held.release();
  const answers = [await held.done, ...others];
  const ids = new Set();
  let conflicts = 0;
  for (const a of answers) {
    assert.ok(a.status === 202 || a.status === 409, `${a.status} ${JSON.stringify(a.json)}`);
    if (a.status === 202) {
      ids.add(a.json.id);
    } else {
      assert.deepEqual([a.json.error.code, a.json.error.field], ['idempotency_in_flight', 'Idempotency-Key']);
      conflicts++;
    }
  }
  assert.equal(answers[0].status, 202, 'the first gets the message');
  assert.equal(ids.size, 1, 'every 202 carries the same id');
  assert.ok(conflicts >= 1, 'posts overlapping the first get 409');
  assert.equal(conflicts, 31, 'all 31 came while the first was held');
  let stored = (await listAll(keys.idem)).filter((m) => m.text === 'burst');
  assert.equal(stored.length, 1, 'exactly one message stored');
  assert.equal(stored[0].id, [...ids][0]);
  // Once the first is answered: a replay gets it, another body 422.
  const replay = await send(keys.idem, burst, { 'idempotency-key': 'burst-1' });
  assert.deepEqual([replay.status, replay.json.id, replay.headers.get('idempotent-replayed')], [202, stored[0].id, 'true']);
  const changed = await send(keys.idem, { ...burst, text: 'other' }, { 'idempotency-key': 'burst-1' });
  assert.deepEqual([changed.status, changed.json.error.code], [422, 'idempotency_key_reused']);

  // 32 at once, unheld: however they interleave, one message, and each
  // answer is 202 with its id or 409.
  const loose = { to: '0610203040', text: 'loose' };
  const all = await Promise.all(Array.from({ length: 32 },
    () => send(keys.idem, loose, { 'idempotency-key': 'burst-2' })));
  stored = (await listAll(keys.idem)).filter((m) => m.text === 'loose');
  assert.equal(stored.length, 1, 'exactly one message stored');
  for (const a of all) {
    assert.ok((a.status === 202 && a.json.id === stored[0].id)
      || (a.status === 409 && a.json.error.code === 'idempotency_in_flight'), `${a.status} ${JSON.stringify(a.json)}`);
  }
});

test('a batch of 10,000 messages of ordinary length fits; over api.max_batch_body is 413', async () => {
  // 10,000 messages as a shop sends them: about 170 bytes each as JSON, 1.7 MB
  // in all, over http.max_body (1 MiB) and within api.max_batch_body (16 MiB).
  const messages = Array.from({ length: 10000 }, (_, i) => ({
    to: `+3361${String(i).padStart(7, '0')}`, from: 'Boutique', category: 'transactional',
    text: `Bonjour, votre commande n° ${100000 + i} est prête : retrait en magasin jusqu'à samedi 18 h. Merci !`,
  }));
  const body = JSON.stringify({ messages });
  assert.ok(body.length > 1.6e6, `${body.length} bytes`);
  const r = await api('POST', '/v1/messages/batch', { key: keys.big, body });
  assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 300));
  assert.deepEqual([r.json.accepted, r.json.rejected, r.json.results.length], [10000, 0, 10000]);
  assert.equal(r.json.results[9999].to, '+33610009999');
  const page = await api('GET', '/v1/messages?limit=1', { key: keys.big });
  assert.equal(page.json.messages[0].id, r.json.results[9999].id);
  // Past the limit, refused before it is parsed, naming the limit.
  const over = await api('POST', '/v1/messages/batch', { key: keys.big, body: Buffer.alloc((16 << 20) + 1, 0x20) });
  assert.equal(over.status, 413);
  assert.equal(over.json.error.code, 'body_too_large');
  assert.match(over.json.error.message, /16777216-byte limit \(api\.max_batch_body\)/);
  // And a single message keeps http.max_body.
  const single = await send(keys.big, Buffer.alloc((1 << 20) + 1, 0x20));
  assert.equal(single.status, 413);
  assert.match(single.json.error.message, /1048576-byte limit \(http\.max_body\)/);
});

test('POST /v1/messages/batch: valid items stored together, bad ones reported by index', async () => {
  const r = await api('POST', '/v1/messages/batch', { key: keys.batch, body: { messages: [
    { to: '0610203040', text: 'un' },
    { to: '0610', text: 'deux' },
    5,
    { to: '0610203041', template: 'trois #n#', data: { n: 3 } },
    { to: '0610203042', text: 'quatre', colour: 'red' },
  ] } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.accepted, 2);
  assert.equal(r.json.rejected, 3);
  const res = r.json.results;
  assert.deepEqual(res.map((x) => x.index), [0, 1, 2, 3, 4]);
  assert.equal(res[0].status, 'queued');
  assert.equal(res[0].to, '+33610203040');
  assert.equal(res[0].cost, '0.045');
  assert.deepEqual(res[1].error && [res[1].error.code, res[1].error.field], ['invalid_phone', 'to']);
  assert.equal(res[2].error.code, 'invalid_type');
  assert.ok(Number.isInteger(res[3].id));
  assert.deepEqual([res[4].error.code, res[4].error.field], ['unknown_field', 'colour']);
  const g = await api('GET', `/v1/messages/${res[3].id}`, { key: keys.batch });
  assert.equal(g.json.text, 'trois 3');
  assert.equal((await listAll(keys.batch)).length, 2);

  const bad = [
    [{ messages: [] }, 422, 'empty_batch', 'messages'],
    [{ messages: {} }, 400, 'invalid_type', 'messages'],
    [{ message: [] }, 400, 'unknown_field', 'message'],
    [{}, 400, 'missing_field', 'messages'],
    [{ messages: Array.from({ length: 10001 }, () => ({ to: '0610203040', text: 'x' })) }, 413,
      'too_many_messages', 'messages'],
  ];
  for (const [body, status, code, field] of bad) {
    const b = await api('POST', '/v1/messages/batch', { key: keys.batch, body });
    assert.equal(b.status, status, JSON.stringify(b.json));
    assert.equal(b.json.error.code, code);
    assert.equal(b.json.error.field, field);
  }
  const k = await api('POST', '/v1/messages/batch', { key: keys.batch, body: { messages: [{ to: '0610203040', text: 'x' }] },
    headers: { 'idempotency-key': 'b1' } });
  assert.equal(k.status, 400);
  assert.equal(k.json.error.field, 'Idempotency-Key');
  // Too little credit for the valid items together: the whole batch is refused.
  const p = await api('POST', '/v1/messages/batch', { key: keys.poor, body: { messages: [{ to: '0610203040', text: 'x' }] } });
  assert.equal(p.status, 422);
  assert.equal(p.json.error.code, 'insufficient_credit');
  assert.equal((await listAll(keys.batch)).length, 2);
  assert.deepEqual(await listAll(keys.poor), []);
});

test('GET one (not another account\'s), list with cursor and filters, DELETE cancels once', async () => {
  const key = keys.demo;
  const ahead = new Date(Date.now() + 3600000).toISOString();
  const made = [];
  for (let i = 0; i < 3; i++) {
    const r = await send(key, { to: '0610203040', text: `page ${i}`, send_at: ahead });
    assert.equal(r.status, 202);
    made.push(r.json.id);
  }
  assert.equal((await api('GET', `/v1/messages/${made[0]}`, { key: keys.batch })).status, 404);
  for (const id of ['0', 'abc', '99999999', '-1', '1e3']) {
    const r = await api('GET', `/v1/messages/${id}`, { key });
    assert.equal(r.status, 404, id);
    assert.equal(r.json.error.code, 'not_found');
  }

  // Pages of two, newest first, until next_cursor is null.
  const seen = [];
  let cursor = '';
  for (let n = 0; n < 100; n++) {
    const r = await api('GET', `/v1/messages?status=scheduled&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key });
    assert.equal(r.status, 200);
    assert.ok(r.json.messages.length <= 2);
    seen.push(...r.json.messages.map((m) => m.id));
    if (r.json.next_cursor === null) break;
    cursor = r.json.next_cursor;
  }
  assert.deepEqual(seen, [...seen].sort((a, b) => b - a), 'newest first');
  for (const id of made) assert.ok(seen.includes(id));
  assert.ok((await listAll(key, '&status=scheduled')).every((m) => m.status === 'scheduled'));
  const future = new Date(Date.now() + 86400000).toISOString();
  assert.deepEqual(await listAll(key, `&since=${encodeURIComponent(future)}`), []);

  for (const [q, status, code, field] of [
    ['status=nope', 422, 'invalid_value', 'status'],
    ['since=yesterday', 422, 'invalid_time', 'since'],
    ['limit=0', 422, 'out_of_range', 'limit'],
    ['limit=1001', 422, 'out_of_range', 'limit'],
    ['cursor=zzz', 400, 'invalid_cursor', 'cursor'],
    ['colour=red', 400, 'unknown_parameter', 'colour'],
    ['limit=1&limit=2', 400, 'duplicate_parameter', 'limit'],
  ]) {
    const r = await api('GET', `/v1/messages?${q}`, { key });
    assert.equal(r.status, status, q);
    assert.equal(r.json.error.code, code, q);
    assert.equal(r.json.error.field, field, q);
  }

  assert.equal((await api('DELETE', `/v1/messages/${made[0]}`, { key: keys.batch })).status, 404);
  const c = await api('DELETE', `/v1/messages/${made[0]}`, { key });
  assert.equal(c.status, 200, JSON.stringify(c.json));
  assert.equal(c.json.status, 'cancelled');
  assert.deepEqual(c.json.events.map((e) => e.status), ['scheduled', 'cancelled']);
  const again = await api('DELETE', `/v1/messages/${made[0]}`, { key });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'not_cancellable');
  assert.equal(again.json.error.field, 'status');
  assert.match(again.json.error.message, /is cancelled/);
  assert.equal((await api('GET', `/v1/messages/${made[0]}`, { key })).json.status, 'cancelled');
  const wrong = await api('PUT', `/v1/messages/${made[1]}`, { key });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, DELETE');
});
