// Contacts, lists and CSV import as a client sees them: the real binary on an
// ephemeral port, a fresh SQLite file, keys from `relais keys create`, and
// nothing but HTTP afterwards. Expected values are worked out by hand from the
// requests and files below (French numbering plan: 06 and 073-079 are
// mobiles, 01-05 fixed lines; 06 10 20 30 40 is +33610203040).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { relais, spawnWaiting } from './lib.mjs';

let dir, db, server, url;
const keys = {};

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'relais-contacts-'));
  db = path.join(dir, 'relais.db');
  for (const a of ['acme', 'other', 'imp', 'cli']) {
    const r = relais(['keys', 'create', '--account', a, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    keys[a] = r.stdout.split('\n')[0];
  }
  server = spawnWaiting(['serve', '--db', db, '--port', '0']);
  url = await server.ready;
});

after(async () => {
  server.child.kill('SIGTERM');
  const { code } = await server.exited;
  assert.equal(code, 0, server.log());
  rmSync(dir, { recursive: true, force: true });
});

// One request; a body that is not a string or Buffer is sent as JSON.
async function api(method, p, { key = keys.acme, body, type } = {}) {
  const headers = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    type = type || 'application/json';
  }
  if (type) headers['content-type'] = type;
  const r = await fetch(new URL(p.replace(/^\//, ''), url), { method, headers, body });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null };
}

const csv = (list, body, { key = keys.imp, region } = {}) =>
  api('POST', `/v1/contacts/import?list=${encodeURIComponent(list)}${region ? `&region=${region}` : ''}`,
    { key, body, type: 'text/csv' });

function isTime(s) {
  return typeof s === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(s);
}

test('contacts: create, read, change as a merge patch, list, delete', async () => {
  let r = await api('POST', '/v1/contacts', {
    body: { phone: '06 10 20 30 40', email: 'zoe@example.fr', first_name: 'Zoé', language: 'fr_FR',
      fields: { shop: 'Lyon', orders: 3 } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const { id, created_at: at } = r.json;
  assert.ok(isTime(at));
  // A number nothing was ever recorded for: no scope, no history, its page.
  assert.match(r.json.consent.optout_path, /^\/u\/[A-Za-z0-9_-]{20,40}$/);
  assert.deepEqual(r.json, {
    id, phone: '+33610203040', phone_type: 'mobile', email: 'zoe@example.fr', first_name: 'Zoé',
    last_name: null, language: 'fr-FR', fields: { shop: 'Lyon', orders: 3 }, created_at: at,
    updated_at: at, lists: [],
    consent: { opted_out: false, scopes: [], history: [], optout_path: r.json.consent.optout_path },
  });
  assert.equal(r.headers.get('location'), `/v1/contacts/${id}`);

  r = await api('POST', '/v1/contacts', { body: { phone: '+33610203040' } });
  assert.equal(r.status, 409);
  assert.deepEqual(r.json.error, { code: 'contact_exists', field: 'phone',
    message: `contact ${id} already has the number +33610203040` });

  r = await api('PATCH', `/v1/contacts/${id}`, {
    body: { email: null, last_name: 'Martin', fields: { orders: null, vip: true } },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.email, null);
  assert.equal(r.json.first_name, 'Zoé');
  assert.equal(r.json.last_name, 'Martin');
  assert.deepEqual(r.json.fields, { shop: 'Lyon', vip: true });
  assert.ok(r.json.updated_at >= at);

  r = await api('POST', '/v1/contacts', { body: { phone: '01 23 45 67 89', last_name: 'Blanc' } });
  assert.equal(r.status, 201);
  assert.equal(r.json.phone_type, 'fixed_line');
  const fixed = r.json.id;

  r = await api('GET', '/v1/contacts?phone=0033610203040');
  assert.deepEqual(r.json.contacts.map((c) => c.id), [id]);
  r = await api('GET', '/v1/contacts?limit=1');
  assert.deepEqual(r.json.contacts.map((c) => c.id), [id]);
  assert.equal(typeof r.json.next_cursor, 'string');
  r = await api('GET', `/v1/contacts?limit=1&cursor=${r.json.next_cursor}`);
  assert.deepEqual(r.json.contacts.map((c) => c.id), [fixed]);
  assert.equal(r.json.next_cursor, null);

  // Another account sees none of it.
  r = await api('GET', `/v1/contacts/${id}`, { key: keys.other });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'not_found');
  r = await api('GET', '/v1/contacts', { key: keys.other });
  assert.deepEqual(r.json, { contacts: [], next_cursor: null });

  r = await api('DELETE', `/v1/contacts/${fixed}`);
  assert.deepEqual([r.status, r.json], [200, { id: fixed, deleted: true }]);
  r = await api('GET', `/v1/contacts/${fixed}`);
  assert.equal(r.status, 404);
});

test('contacts: every refusal names its field and stores nothing', async () => {
  const cases = [
    ['{"phone":"0611111111"', 400, 'invalid_json', undefined],
    [{ phone: '0611111111', mobile: '1' }, 400, 'unknown_field', 'mobile'],
    [{ phone: 611111111 }, 400, 'invalid_type', 'phone'],
    [{ email: 'a@example.fr' }, 400, 'missing_field', 'phone'],
    [{ phone: '0611' }, 422, 'invalid_phone', 'phone'],
    [{ phone: '0611111111', email: 'a@@example.fr' }, 422, 'invalid_email', 'email'],
    [{ phone: '0611111111', language: 'francais' }, 422, 'invalid_language', 'language'],
    [{ phone: '0611111111', first_name: '' }, 422, 'invalid_value', 'first_name'],
    [{ phone: '0611111111', fields: { a: [1] } }, 422, 'invalid_value', 'fields'],
    [{ phone: '0611111111', fields: { x: 'y'.repeat(17000) } }, 422, 'too_long', 'fields'],
    [Buffer.alloc((1 << 20) + 1, 0x20), 413, 'body_too_large', undefined],
  ];
  for (const [body, status, code, field] of cases) {
    const r = await api('POST', '/v1/contacts', { key: keys.other, body, type: 'application/json' });
    assert.equal(r.status, status, `${String(body).slice(0, 60)}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, code);
    assert.equal(r.json.error.field, field);
  }
  const r = await api('GET', '/v1/contacts', { key: keys.other });
  assert.deepEqual(r.json.contacts, []);
});

test('lists: create, rename, members by id and by number, pages, delete', async () => {
  let r = await api('POST', '/v1/lists', { body: { name: 'Clients Lyon' } });
  assert.equal(r.status, 201);
  const list = r.json.id;
  assert.deepEqual(r.json, { id: list, name: 'Clients Lyon', contacts: 0, created_at: r.json.created_at,
    updated_at: r.json.created_at });
  r = await api('POST', '/v1/lists', { body: { name: 'Clients Lyon' } });
  assert.deepEqual([r.status, r.json.error.code, r.json.error.field], [409, 'list_exists', 'name']);

  const ids = [];
  for (const phone of ['0751000001', '0751000002', '0751000003']) {
    ids.push((await api('POST', '/v1/contacts', { body: { phone } })).json.id);
  }
  const theirs = (await api('POST', '/v1/contacts', { key: keys.other, body: { phone: '0751000009' } })).json.id;
  r = await api('POST', `/v1/lists/${list}/contacts`, { body: { contact_ids: [ids[0], theirs] } });
  assert.deepEqual([r.status, r.json.error.code, r.json.error.field], [422, 'unknown_contact', 'contact_ids']);
  assert.equal((await api('GET', `/v1/lists/${list}`)).json.contacts, 0, 'nothing added');

  r = await api('POST', `/v1/lists/${list}/contacts`, { body: { contact_ids: [ids[0], ids[1], ids[0]] } });
  assert.deepEqual([r.status, r.json], [200, { added: 2, already_members: 1, created: 0 }]);
  // 07 51 00 00 02 is a member; 0751000003 a contact not in the list; 0751000004 new.
  r = await api('POST', `/v1/lists/${list}/contacts`, { body: { phones: ['07 51 00 00 02', '0751000003', '+33751000004'] } });
  assert.deepEqual([r.status, r.json], [200, { added: 2, already_members: 1, created: 1 }]);
  r = await api('POST', `/v1/lists/${list}/contacts`, { body: { phones: ['0751000005', '0751'] } });
  assert.deepEqual([r.status, r.json.error.code, r.json.error.field], [422, 'invalid_phone', 'phones[1]']);

  r = await api('GET', `/v1/lists/${list}/contacts?limit=3`);
  assert.deepEqual(r.json.contacts.map((c) => c.phone), ['+33751000001', '+33751000002', '+33751000003']);
  r = await api('GET', `/v1/lists/${list}/contacts?cursor=${r.json.next_cursor}`);
  assert.deepEqual(r.json.contacts.map((c) => c.phone), ['+33751000004']);
  assert.equal(r.json.next_cursor, null);
  r = await api('GET', `/v1/contacts?list=${list}&phone=0751000002`);
  assert.deepEqual(r.json.contacts.map((c) => c.id), [ids[1]]);
  r = await api('GET', `/v1/contacts/${ids[0]}`);
  assert.deepEqual(r.json.lists, [{ id: list, name: 'Clients Lyon' }]);

  r = await api('DELETE', `/v1/lists/${list}/contacts`, { body: { phones: ['0751000001', '0751000009', '0799999999'] } });
  assert.deepEqual([r.status, r.json], [200, { removed: 1, not_members: 2 }]);
  r = await api('PATCH', `/v1/lists/${list}`, { body: { name: 'Lyon' } });
  assert.deepEqual([r.status, r.json.name, r.json.contacts], [200, 'Lyon', 3]);
  r = await api('GET', `/v1/lists/${list}`, { key: keys.other });
  assert.equal(r.status, 404);
  r = await api('DELETE', `/v1/lists/${list}`);
  assert.deepEqual([r.status, r.json], [200, { id: list, deleted: true }]);
  r = await api('GET', `/v1/contacts/${ids[1]}`);
  assert.deepEqual([r.status, r.json.lists], [200, []], 'the contacts stay');
});

// Lines: 1 header, 2 Zoé, 3 Léo (e-mail without a dot in its domain: kept
// without it), 4 Ana (Zoé's number again), 5 Bob (12345: not a number), 6 Eve
// (a fixed line), 7-8 Jean (a quoted name with the delimiter and a line break),
// 9 Max (no number).
const FILE = [
  'Prénom;Nom;Téléphone;E-mail;Ville',
  'Zoé;Martin;06 10 20 30 40;zoe@example.fr;Lyon',
  'Léo;Petit;+33 7 56 11 22 33;leo@example;Paris',
  'Ana;Roy;0610203040;;Nice',
  'Bob;;12345;;Lille',
  'Eve;Blanc;01 23 45 67 89;eve@example.fr;Lyon',
  '"Jean; ""JP""\nPaul";Durand;06.12.34.56.78;;"Saint-Étienne"',
  'Max;Noir;;;Brest',
  '',
].join('\r\n');

test('import: every row counted once, bad lines named by line', async () => {
  let r = await csv('Salon 2026', FILE);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const { invalid, ...counts } = r.json;
  // 7 rows: 4 created (Zoé, Léo, Eve, Jean), Ana a duplicate of Zoé, Bob and
  // Max invalid; Eve is the one valid non-mobile number.
  assert.deepEqual(counts, { rows: 7, created: 4, updated: 0, duplicates: 1, non_mobile: 1, opted_out: 0 });
  assert.deepEqual(invalid.map((i) => [i.line, i.value]), [[5, '12345'], [9, '']]);
  for (const i of invalid) assert.ok(i.reason.length > 0);

  const lists = (await api('GET', '/v1/lists', { key: keys.imp })).json.lists;
  assert.deepEqual(lists.map((l) => [l.name, l.contacts]), [['Salon 2026', 4]]);
  r = await api('GET', '/v1/contacts?phone=0756112233', { key: keys.imp });
  const leo = r.json.contacts[0];
  assert.deepEqual([leo.first_name, leo.last_name, leo.email, leo.fields],
    ['Léo', 'Petit', null, { Ville: 'Paris' }]);
  r = await api('GET', '/v1/contacts?phone=0612345678', { key: keys.imp });
  assert.equal(r.json.contacts[0].first_name, 'Jean; "JP" Paul');
  r = await api('GET', '/v1/contacts?phone=0610203040', { key: keys.imp });
  assert.equal(r.json.contacts[0].first_name, 'Zoé', 'the first row of a number wins');
  r = await api('GET', '/v1/contacts?phone=0123456789', { key: keys.imp });
  assert.equal(r.json.contacts[0].phone_type, 'fixed_line');

  // The same file again: the 4 contacts are in the list already.
  r = await csv('Salon 2026', FILE);
  assert.deepEqual({ ...r.json, invalid: r.json.invalid.length },
    { rows: 7, created: 0, updated: 0, duplicates: 5, invalid: 2, non_mobile: 1, opted_out: 0 });
  // Into another list: the 4 contacts exist, so they are updated.
  r = await csv('Relance', FILE);
  assert.deepEqual({ ...r.json, invalid: r.json.invalid.length },
    { rows: 7, created: 0, updated: 4, duplicates: 1, invalid: 2, non_mobile: 1, opted_out: 0 });
});

test('import: a national number read in the region given', async () => {
  // 02 234 56 78 is a Brussels fixed line (+3222345678): 9 digits, too short
  // for a French number.
  let r = await csv('BE', 'phone\n02 234 56 78\n', { region: 'be' });
  assert.deepEqual([r.status, r.json.created, r.json.non_mobile], [200, 1, 1]);
  r = await api('GET', '/v1/contacts?phone=%2B3222345678', { key: keys.imp });
  assert.deepEqual(r.json.contacts.map((c) => c.phone_type), ['fixed_line']);
  r = await csv('FR', 'phone\n02 234 56 78\n');
  assert.deepEqual([r.json.created, r.json.invalid.length], [0, 1]);
});

test('import: a refused request names its reason and stores nothing', async () => {
  const cases = [
    ['/v1/contacts/import', 'phone\n0611111111\n', 400, 'missing_parameter', 'list'],
    ['/v1/contacts/import?list=X&sort=1', 'phone\n0611111111\n', 400, 'unknown_parameter', 'sort'],
    ['/v1/contacts/import?list=X&region=XX', 'phone\n0611111111\n', 422, 'invalid_value', 'region'],
    ['/v1/contacts/import?list=', 'phone\n0611111111\n', 422, 'invalid_value', 'list'],
    ['/v1/contacts/import?list=X', 'nom;ville\nRoy;Lyon\n', 400, 'invalid_csv', 'header'],
    ['/v1/contacts/import?list=X', '', 400, 'invalid_csv', 'header'],
  ];
  for (const [p, body, status, code, field] of cases) {
    const r = await api('POST', p, { key: keys.other, body, type: 'text/csv' });
    assert.equal(r.status, status, `${p}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, code);
    assert.equal(r.json.error.field, field);
  }
  // The header refusal names the columns it found.
  const r = await api('POST', '/v1/contacts/import?list=X', { key: keys.other, body: 'nom;ville\nRoy;Lyon\n', type: 'text/csv' });
  assert.match(r.json.error.message, /nom.*ville/);
  const f = await api('POST', '/v1/contacts/import?list=X', { key: keys.other, body: '--b\r\n', type: 'multipart/form-data; boundary=b' });
  assert.deepEqual([f.status, f.json.error.code], [415, 'unsupported_media_type']);
  const u = await api('POST', '/v1/contacts/import?list=X', { key: null, body: 'phone\n0611111111\n', type: 'text/csv' });
  assert.equal(u.status, 401);
  assert.deepEqual((await api('GET', '/v1/lists', { key: keys.other })).json.lists, []);
});

test('import: a declared body over 1 GiB is refused before it is read', async () => {
  const u = new URL('v1/contacts/import?list=Big', url);
  const res = await new Promise((resolve, reject) => {
    const rq = http.request(u, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.other}`, 'content-type': 'text/csv',
        'content-length': String(2 ** 31) },
    }, resolve);
    rq.on('error', reject);
    rq.write('phone\n');
  });
  let text = '';
  for await (const chunk of res) text += chunk;
  res.destroy();
  assert.equal(res.statusCode, 413);
  assert.equal(JSON.parse(text).error.code, 'body_too_large');
});

test('import: a body far over http.max_body streams through', async () => {
  // 60,000 rows of about 40 bytes: 2.4 MB, over the 1 MiB http.max_body.
  const rows = ['phone;first_name;code'];
  for (let i = 0; i < 60000; i++) rows.push(`07 60 ${String(i).padStart(6, '0').replace(/(\d\d)(?=\d)/g, '$1 ')};Client ${i};C${i}`);
  const body = rows.join('\n') + '\n';
  assert.ok(body.length > 2 * 1000 * 1000);
  const r = await csv('Gros fichier', body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { rows: 60000, created: 60000, updated: 0, duplicates: 0, invalid: [], non_mobile: 0, opted_out: 0 });
  const lists = (await api('GET', '/v1/lists', { key: keys.imp })).json.lists;
  assert.equal(lists.find((l) => l.name === 'Gros fichier').contacts, 60000);
  const c = (await api('GET', '/v1/contacts?phone=0760059999', { key: keys.imp })).json.contacts[0];
  assert.deepEqual([c.first_name, c.fields], ['Client 59999', { code: 'C59999' }]);
});

// French overseas mobiles written nationally, as a user in Guadeloupe or La
// Réunion types them: 0690 12 34 56 is +590 690 12 34 56 and 0692 12 34 56 is
// +262 692 12 34 56 (ARCEP's plan: 0690/0691 Guadeloupe, 0692/0693 La
// Réunion). Every place that reads a typed number reads them alike: a
// contact, the contact filter, list members by number, opt-outs, a message's
// "to" and a campaign's typed numbers.
test('overseas numbers written nationally mean the same number everywhere', async () => {
  const key = keys.other;
  let r = await api('POST', '/v1/contacts', { key, body: { phone: '0692 12 34 56', first_name: 'Réunion' } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.deepEqual([r.json.phone, r.json.phone_type], ['+262692123456', 'mobile']);
  const id = r.json.id;
  r = await api('GET', '/v1/contacts?phone=0692123456', { key });
  assert.deepEqual(r.json.contacts.map((c) => c.id), [id]);
  r = await api('POST', '/v1/lists', { key, body: { name: 'Outre-mer' } });
  const list = r.json.id;
  r = await api('POST', `/v1/lists/${list}/contacts`, { key, body: { phones: ['06 92 12 34 56', '0690 12 34 56'] } });
  assert.deepEqual([r.status, r.json], [200, { added: 2, already_members: 0, created: 1 }]);
  r = await api('GET', `/v1/lists/${list}/contacts`, { key });
  assert.deepEqual(r.json.contacts.map((c) => c.phone), ['+262692123456', '+590690123456']);
  r = await api('POST', '/v1/optouts', { key, body: { number: '0690 12 34 56' } });
  assert.deepEqual([r.status, r.json.number], [201, '+590690123456']);
  r = await api('GET', '/v1/optouts/0690123456', { key });
  assert.equal(r.json.opted_out, true);
  // POST /v1/messages read them so already; the same number as the contact.
  const c = relais(['accounts', 'credit', '--account', 'other', '--amount', '1', '--db', db]);
  assert.equal(c.code, 0, c.stderr);
  r = await api('POST', '/v1/messages', { key, body: { to: '0692123456', text: 'Bonjour', from: 'SHOP' } });
  assert.deepEqual([r.status, r.json.to], [202, '+262692123456']);
  // A campaign's typed number is a recipient, not an invalid one.
  r = await api('POST', '/v1/campaigns', {
    key,
    body: { name: 'DOM', category: 'transactional', sender: 'SHOP', text: 'Bonjour', audience: { numbers: ['0692 12 34 56'] } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  r = await api('GET', `/v1/campaigns/${r.json.id}/summary`, { key });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual([r.json.recipients, r.json.excluded.invalid], [1, 0]);
});

// A CRM export: a landline and a mobile column, and an opt-out column.
// Lines: 1 header; 2 Zoé (mobile and landline, opted out: "oui"); 3 Léo (no
// mobile: the landline 01 is his number, a fixed line); 4 Ana (mobile, "0":
// nothing changes); 5 Bob ("peut-être": neither yes nor no, invalid); 6 Zoé's
// mobile again with "x" (a duplicate; opted out already, not counted twice);
// 7 Eve (mobile, "TRUE").
const CRM = [
  'Nom;Téléphone;Portable;Désinscrit',
  'Zoé;01 45 00 00 01;06 40 00 00 01;oui',
  'Léo;01 45 00 00 02;;',
  'Ana;;07 40 00 00 03;0',
  'Bob;01 45 00 00 04;06 40 00 00 04;peut-être',
  'Zoé bis;;0640000001;x',
  'Eve;;06 40 00 00 05;TRUE',
  '',
].join('\n');

test('import: a mobile and a landline column, and an opt-out column that opts out with source import', async () => {
  const key = keys.imp;
  let r = await csv('CRM', CRM, { key });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  // 6 rows: Zoé, Léo, Ana, Eve created; Zoé bis a duplicate; Bob invalid.
  // Opted out: Zoé and Eve (Zoé bis says so again: one number, counted once).
  assert.deepEqual(r.json, {
    rows: 6, created: 4, updated: 0, duplicates: 1,
    invalid: [{ line: 5, value: '06 40 00 00 04',
      reason: "column 'Désinscrit': 'peut-être' is neither yes (1, yes, oui, true, x) nor no (0, no, non, false, empty)" }],
    non_mobile: 1, opted_out: 2,
  });
  r = await api('GET', '/v1/contacts?phone=0640000001', { key });
  const zoe = r.json.contacts[0];
  assert.deepEqual([zoe.last_name, zoe.fields], ['Zoé', { Téléphone: '01 45 00 00 01' }]);
  r = await api('GET', `/v1/contacts/${zoe.id}`, { key });
  const c = r.json.consent;
  assert.equal(c.opted_out, true);
  assert.deepEqual(c.scopes.map((x) => [x.scope, x.status, x.source]), [['marketing', 'opted_out', 'import']]);
  assert.equal(c.history.length, 1);
  assert.deepEqual([c.history[0].action, c.history[0].source], ['opt_out', 'import']);
  const lists = (await api('GET', '/v1/lists', { key })).json.lists;
  assert.equal(c.history[0].detail, `list=${lists.find((l) => l.name === 'CRM').id}`);
  r = await api('GET', '/v1/contacts?phone=0145000002', { key });
  assert.deepEqual([r.json.contacts[0].last_name, r.json.contacts[0].phone_type, r.json.contacts[0].fields],
    ['Léo', 'fixed_line', {}]);
  for (const [n, out] of [['0740000003', false], ['0640000005', true], ['0145000002', false]]) {
    assert.equal((await api('GET', `/v1/optouts/${n}`, { key })).json.opted_out, out, n);
  }
  // An import never opts back in: the same numbers without the column, or with "non".
  r = await csv('CRM', 'Portable;stop\n06 40 00 00 01;non\n06 40 00 00 05;\n', { key });
  assert.equal(r.json.opted_out, 0);
  assert.equal((await api('GET', '/v1/optouts/0640000001', { key })).json.opted_out, true);
  assert.equal((await api('GET', '/v1/optouts/0640000005', { key })).json.opted_out, true);
});

test('a deleted contact imported again is still opted out', async () => {
  const key = keys.imp;
  let r = await csv('Anciens', 'phone;prenom;optout\n06 41 00 00 01;Lou;1\n', { key });
  assert.deepEqual([r.json.created, r.json.opted_out], [1, 1]);
  const id = (await api('GET', '/v1/contacts?phone=0641000001', { key })).json.contacts[0].id;
  r = await api('DELETE', `/v1/contacts/${id}`, { key });
  assert.equal(r.status, 200);
  // Imported again from a file that says nothing of consent: a new contact,
  // the same number, which is still opted out from the first import.
  r = await csv('Nouveaux', 'phone;prenom\n06 41 00 00 01;Lou\n', { key });
  assert.deepEqual([r.json.created, r.json.opted_out], [1, 0]);
  const again = (await api('GET', '/v1/contacts?phone=0641000001', { key })).json.contacts[0];
  r = await api('GET', `/v1/contacts/${again.id}`, { key });
  assert.equal(r.json.consent.opted_out, true);
  assert.deepEqual(r.json.consent.history.map((e) => [e.action, e.source]), [['opt_out', 'import']]);
});

// `relais contacts import` on a small file with bad lines: the report it
// prints, to the byte. Lines: 1 header; 2 Zoé; 3 "12" (too short); 4 Léo; 5
// Zoé's number again; 6 no number; 7 a fixed line (Paris); 8 a row with one
// field too many.
test('relais contacts import FILE --list NAME --region FR prints the exact report', async () => {
  const file = path.join(dir, 'cli.csv');
  writeFileSync(file, [
    'prénom;téléphone;ville',
    'Zoé;06 42 00 00 01;Lyon',
    'Bob;12;Lille',
    'Léo;+33 7 42 00 00 02;Paris',
    'Ana;0642000001;Nice',
    'Max;;Brest',
    'Eve;01 42 00 00 03;Paris',
    'Tom;06 42 00 00 04;Metz;en trop',
    '',
  ].join('\n'));
  const r = relais(['contacts', 'import', file, '--list', 'Fichier CLI', '--region', 'FR', '--account', 'cli', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  // 7 rows: Zoé, Léo and Eve created (Eve a fixed line: non_mobile); Ana a
  // duplicate of Zoé; Bob, Max and Tom invalid, in file order.
  assert.equal(r.stdout,
    '{"rows":7,"created":3,"updated":0,"duplicates":1,"invalid":['
    + '{"line":3,"value":"12","reason":"\'12\' is too short for FR"},'
    + '{"line":6,"value":"","reason":"no phone number in column \'téléphone\'"},'
    + '{"line":8,"value":"06 42 00 00 04","reason":"has 4 fields where the header has 3"}],'
    + '"non_mobile":1,"opted_out":0}\n');
  // What the report says is what the API finds.
  const lists = (await api('GET', '/v1/lists', { key: keys.cli })).json.lists;
  assert.deepEqual(lists.map((l) => [l.name, l.contacts]), [['Fichier CLI', 3]]);
});
