// `relais when` through the real binary. Expected times are worked out by
// hand from the French profile (mon-sat 08:00-20:00, closed on public
// holidays) and the calendar: 21 November 2026 is a Saturday (1 January 2026
// was a Thursday), Easter 2026 is 5 April, and Paris is on CET (+01:00) from
// 25 October 2026 to 28 March 2027, CEST (+02:00) from 29 March 2026.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { relais } from './lib.mjs';

// Runs `relais when` in an empty directory, so no stray relais.conf is read.
function when(args, conf) {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-when-'));
  try {
    if (conf !== undefined) writeFileSync(path.join(dir, 'relais.conf'), conf);
    return relais(['when', ...args], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('when: Saturday 20:00 in Paris goes to Monday 08:00, the object documented in --help', () => {
  const r = when(['--to', '06 10 20 30 40', '--category', 'marketing', '--at', '2026-11-21T20:00:00+01:00']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 1);
  assert.deepEqual(r.lines[0], {
    to: '+33610203040', country: 'FR', category: 'marketing', timezone: 'Europe/Paris',
    profile: 'mon-sat 08:00-20:00; closed on holidays', window: null,
    at: '2026-11-21T20:00:00+01:00', next: '2026-11-23T08:00:00+01:00', moved: true,
    rule: 'quiet_hours',
  });
  // The same instant written in UTC is shown in local time.
  const u = when(['--to', '+33610203040', '--category', 'marketing', '--at', '2026-11-21T19:00:00Z']);
  assert.equal(u.lines[0].at, '2026-11-21T20:00:00+01:00');
  assert.equal(u.lines[0].next, '2026-11-23T08:00:00+01:00');
});

test('when: 19:59 on Saturday is allowed as it is; Easter Monday moves to Tuesday', () => {
  let r = when(['--to', '+33610203040', '--category', 'marketing', '--at', '2026-11-21T19:59:00+01:00']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines[0].moved, false);
  assert.equal(r.lines[0].next, '2026-11-21T19:59:00+01:00');
  assert.equal(r.lines[0].rule, null);
  r = when(['--to', '+33610203040', '--category', 'marketing', '--at', '2026-04-06T10:00:00+02:00']);
  assert.equal(r.lines[0].next, '2026-04-07T08:00:00+02:00');
  assert.equal(r.lines[0].rule, 'public_holiday:Easter Monday');
  // Across the spring change: Saturday CET to Monday CEST.
  r = when(['--to', '+33610203040', '--category', 'marketing', '--at', '2026-03-28T20:00:00+01:00']);
  assert.equal(r.lines[0].next, '2026-03-30T08:00:00+02:00');
  r = when(['--to', '+33610203040', '--category', 'marketing', '--at', '2026-11-22T12:00:00+01:00']);
  assert.equal(r.lines[0].rule, 'sunday');
});

test('when: transactional is free unless a window is given; windows across midnight', () => {
  let r = when(['--to', '+33610203040', '--category', 'transactional', '--at', '2026-11-22T03:00:00+01:00']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines[0].moved, false);
  assert.equal(r.lines[0].profile, null);
  r = when(['--to', '+33610203040', '--category', 'transactional', '--window', '22:00-02:00',
    '--at', '2026-11-25T02:00:00+01:00']);
  assert.equal(r.lines[0].window, '22:00-02:00');
  assert.equal(r.lines[0].next, '2026-11-25T22:00:00+01:00');
  assert.equal(r.lines[0].rule, 'window');
  // A campaign window on top of the marketing profile.
  r = when(['--to', '+33610203040', '--category', 'marketing', '--window', 'Mon-Fri 9:00-19:00',
    '--at', '2026-11-21T10:00:00+01:00']);
  assert.equal(r.lines[0].window, 'mon-fri 09:00-19:00');
  assert.equal(r.lines[0].next, '2026-11-23T09:00:00+01:00');
  assert.equal(r.lines[0].rule, 'window');
});

test('when: Belgium by its own number and holidays; --timezone overrides the zone', () => {
  // 21 July 2026 (a Tuesday) is Belgium's national day.
  let r = when(['--to', '+32470123456', '--category', 'marketing', '--at', '2026-07-21T10:00:00+02:00']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines[0].timezone, 'Europe/Brussels');
  assert.equal(r.lines[0].rule, 'public_holiday:Belgian National Day');
  assert.equal(r.lines[0].next, '2026-07-22T08:00:00+02:00');
  // Paris 20:00 is 19:00 in London: still allowed there, and shown in London time.
  r = when(['--to', '+33610203040', '--category', 'marketing', '--timezone', 'Europe/London',
    '--at', '2026-11-21T20:00:00+01:00']);
  assert.equal(r.lines[0].timezone, 'Europe/London');
  assert.equal(r.lines[0].at, '2026-11-21T19:00:00+00:00');
  assert.equal(r.lines[0].moved, false);
});

test('when: profiles and options from relais.conf', () => {
  const conf = '[rules]\nalsace_moselle = true\nprofiles = BE=mon-fri 09:00-18:00\n';
  // 26 December 2026 is a Saturday, a holiday in Alsace-Moselle: Monday 28.
  let r = when(['--to', '+33610203040', '--category', 'marketing', '--at', '2026-12-26T10:00:00+01:00'], conf);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines[0].rule, "public_holiday:St Stephen's Day");
  assert.equal(r.lines[0].next, '2026-12-28T08:00:00+01:00');
  // Belgium's own profile: no Saturday, no holidays named.
  r = when(['--to', '+32470123456', '--category', 'marketing', '--at', '2026-11-21T10:00:00+01:00'], conf);
  assert.equal(r.lines[0].profile, 'mon-fri 09:00-18:00');
  assert.equal(r.lines[0].rule, 'saturday');
  assert.equal(r.lines[0].next, '2026-11-23T09:00:00+01:00');
});

test('when: a bad [rules] value stops config --check, naming the key and the token', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-when-'));
  try {
    writeFileSync(path.join(dir, 'relais.conf'), '[rules]\nprofiles = BE=mon-fry 09:00-18:00\n');
    const r = relais(['config', '--check'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rules\.profiles: entry 1 \(BE\) 'mon-fry 09:00-18:00'.*got 'fry'/);
    writeFileSync(path.join(dir, 'relais.conf'), '[rules]\nmarketing_window = 8h-20h\n');
    const w = relais(['when', '--to', '+33610203040', '--category', 'marketing'], { cwd: dir });
    assert.equal(w.code, 1);
    assert.match(w.stderr, /rules\.marketing_window '8h-20h'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('when: usage errors name the argument; a window that never meets the profile fails', () => {
  const cases = [
    [['--category', 'marketing'], /--to NUMBER is required/],
    [['--to', '+33610203040'], /--category/],
    [['--to', '+33610203040', '--category', 'promo'], /--category 'promo'/],
    [['--to', 'bonjour', '--category', 'marketing'], /--to: .*'bonjour'/],
    [['--to', '+33610203040', '--category', 'marketing', '--window', 'mon-fry 09:00-19:00'],
      /--window 'mon-fry 09:00-19:00': .*got 'fry'/],
    [['--to', '+33610203040', '--category', 'marketing', '--at', 'tomorrow'], /--at 'tomorrow'/],
    [['--to', '+33610203040', '--category', 'marketing', '--timezone', 'Mars/Olympus'],
      /unknown time zone 'Mars\/Olympus'/],
  ];
  for (const [args, re] of cases) {
    const r = when(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const r = when(['--to', '+33610203040', '--category', 'marketing', '--window', 'sun 10:00-12:00']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nothing allowed within 366 days/);
  const h = when(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /quiet_hours/);
});
