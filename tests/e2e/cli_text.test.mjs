// `relais phone` and `relais render` through the real binary. Expected values
// come from the text and the French numbering plan (ARCEP: 06/07
// mobile, 01-05 geographic, 08 special-rate, 09 non-geographic).
import test from 'node:test';
import assert from 'node:assert/strict';
import { relais } from './lib.mjs';

test('phone: every French form of the issue gives +33610203040, mobile, in input order', () => {
  const inputs = ['0610203040', '33610203040', '610203040', '+33610203040', '0033610203040',
    '06 10 20 30 40', '06.10.20.30.40'];
  const r = relais(['phone', '--region', 'FR', ...inputs]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, inputs.length);
  r.lines.forEach((l, i) => {
    assert.deepEqual(l, { input: inputs[i], e164: '+33610203040', valid: true, type: 'mobile',
      region: 'FR' });
  });
});

test('phone: types and foreign numbers; bad input still gets its line with an error', () => {
  const r = relais(['phone', '0140000000', '+32 470 12 34 56', 'bonjour', '0610']);
  assert.equal(r.code, 0);
  assert.equal(r.lines.length, 4);
  assert.deepEqual([r.lines[0].e164, r.lines[0].type], ['+33140000000', 'fixed_line']);
  assert.deepEqual([r.lines[1].e164, r.lines[1].type, r.lines[1].region],
    ['+32470123456', 'mobile', 'BE']);
  for (const l of r.lines.slice(2)) {
    assert.equal(l.valid, false);
    assert.equal(l.e164, null);
    assert.equal(typeof l.error, 'string');
    assert.ok(l.error.includes(`'${l.input}'`), `the error quotes the input: ${l.error}`);
  }
  assert.deepEqual(Object.keys(r.lines[0]), ['input', 'e164', 'valid', 'type', 'region']);
});

test('phone: usage errors', () => {
  let r = relais(['phone', '--region', 'XX', '0610203040']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /XX/);
  r = relais(['phone']);
  assert.equal(r.code, 2);
  r = relais(['phone', '-'], { input: '0610203040\r\n\r\n0760203040\n' });
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines.map((l) => l.e164), ['+33610203040', '+33760203040']);
});

test('render: fields, fallbacks and the inspect fields of the result', () => {
  const r = relais(['render', '--template', 'Bonjour #firstname|client#, -10 % chez #shop#',
    '--data', '{"shop":"Lumière"}']);
  assert.equal(r.code, 0, r.stderr);
  // "Bonjour client, -10 % chez Lumière": 34 characters, all GSM (è is in the table).
  assert.deepEqual(r.lines[0], { text: 'Bonjour client, -10 % chez Lumière', encoding: 'gsm7',
    units: 34, segments: 1, per_segment: 160, remaining: 126, replaced: [] });
});

test('render: an unknown field is an error listing the known ones; bad JSON is a usage error', () => {
  let r = relais(['render', '--template', 'Hi #nme#', '--data', '{"name":"x","shop":"y"}']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown field 'nme' \(known: name, shop\)/);
  r = relais(['render', '--template', 'Hi', '--data', '{"name":']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--data/);
  r = relais(['render', '--data', '{}']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--template/);
});
