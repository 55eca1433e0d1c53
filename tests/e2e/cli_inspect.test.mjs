// `relais inspect` and the command-line contract, through the real binary.
// Expected figures are worked out by hand in the comments (GSM 03.38 table,
// 160/153 and 70/67 capacities of TS 23.040 with a 6-octet UDH).
import test from 'node:test';
import assert from 'node:assert/strict';
import { relais } from './lib.mjs';

function inspect(text, ...flags) {
  const r = relais(['inspect', ...flags, text]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 1);
  return r.lines[0];
}

test('help lists every command; each has --help', () => {
  const r = relais(['help']);
  assert.equal(r.code, 0);
  for (const c of ['inspect', 'render', 'phone', 'config', 'version']) {
    assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
    const h = relais([c, '--help']);
    assert.equal(h.code, 0, `${c} --help`);
    assert.match(h.stdout, new RegExp(`usage: relais ${c}`));
  }
});

test('unknown command and bad option are usage errors (exit 2) naming the argument', () => {
  let r = relais(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = relais(['inspect', '--bogus', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'--bogus'/);
  r = relais(['inspect']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /TEXT/);
});

test('version', () => {
  const r = relais(['version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^relais \d+\.\d+\.\d+/);
});

test('inspect prints the fields in the documented order', () => {
  const r = relais(['inspect', 'Bonjour']);
  assert.equal(r.stdout.trim(),
    '{"encoding":"gsm7","units":7,"segments":1,"per_segment":160,"remaining":153,"replaced":[]}');
});

test('GSM escapes count 2, French accents outside GSM force UCS-2', () => {
  // € [ ] { } ~ \ ^ | and form feed: 10 characters, 20 septets.
  assert.equal(inspect('€[]{}~\\^|\f').units, 20);
  // é è à ù are in the GSM table: 1 septet each.
  assert.deepEqual(inspect('été à où').encoding, 'gsm7');
  // ç, ê, â, î, ô, û, œ are not: the whole text becomes UCS-2.
  for (const c of ['ç', 'ê', 'â', 'î', 'ô', 'û', 'œ']) {
    const o = inspect(`Merci ${c}`);
    assert.equal(o.encoding, 'ucs2', c);
    assert.equal(o.units, 7);
    assert.equal(o.remaining, 63);
  }
});

test('an emoji is 2 UTF-16 units', () => {
  const o = inspect('Top 😀');
  assert.deepEqual([o.encoding, o.units, o.segments], ['ucs2', 6, 1]);
});

test('segment boundaries as carriers bill them', () => {
  const cases = [
    ['a'.repeat(160), 1, 160, 0],
    ['a'.repeat(161), 2, 153, 145],   // 153 + 8
    ['a'.repeat(152) + '€' + 'a'.repeat(152), 3, 153, 152], // € not split: 152 | 2+151 | 1
    ['ç'.repeat(70), 1, 70, 0],
    ['ç'.repeat(71), 2, 67, 63],      // 67 + 4
    ['ç'.repeat(66) + '😀' + 'ç'.repeat(66), 3, 67, 66], // pair not split: 66 | 2+65 | 1
  ];
  for (const [text, segments, per, remaining] of cases) {
    const o = inspect(text);
    assert.deepEqual([o.segments, o.per_segment, o.remaining], [segments, per, remaining],
      `${text.length} chars`);
  }
});

test('--smart replaces look-alikes only when the text becomes GSM-7', () => {
  const o = inspect('C’est l’été… – à bientot', '--smart');
  assert.equal(o.encoding, 'gsm7');
  assert.deepEqual(o.replaced, [
    { from: '’', to: "'", count: 2 },
    { from: '…', to: '...', count: 1 },
    { from: '–', to: '-', count: 1 },
  ]);
  const u = inspect('C’est ça', '--smart');
  assert.equal(u.encoding, 'ucs2');
  assert.deepEqual(u.replaced, []);
  // Without --smart nothing is replaced.
  assert.equal(inspect('C’est').encoding, 'ucs2');
});

test('TEXT - reads standard input; invalid UTF-8 is refused naming the byte', () => {
  let r = relais(['inspect', '-'], { input: 'Bonjour' });
  assert.equal(r.code, 0);
  assert.equal(r.lines[0].units, 7);
  r = relais(['inspect', '-'], { input: Buffer.from([0x61, 0xff]) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not valid UTF-8 at byte 1/);
});
