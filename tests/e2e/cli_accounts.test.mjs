// `relais accounts`: balances as an operator sees them, through the real binary.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { relais } from './lib.mjs';

test('credit, debit, overdraft refused, unknown account, bad amounts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-acc-'));
  const db = path.join(dir, 'r.db');
  const acc = (...a) => relais(['-q', 'accounts', ...a, '--account', 'shop', '--db', db]);
  try {
    let r = relais(['-q', 'keys', 'create', '--account', 'shop', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(acc('show').stdout, 'account=shop balance=0\n');
    assert.equal(acc('credit', '--amount', '12.50').stdout, 'account=shop balance=12.5\n');
    assert.equal(acc('credit', '--amount', '-2.5').stdout, 'account=shop balance=10\n');
    r = acc('credit', '--amount', '-100');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a debit of 100 would take account 'shop' below zero \(balance 10\); nothing changed/);
    assert.equal(acc('show').stdout, 'account=shop balance=10\n');
    for (const bad of ['0', 'ten', '1.2345678', '']) {
      r = acc('credit', '--amount', bad);
      assert.equal(r.code, 2, `--amount '${bad}'`);
      assert.match(r.stderr, /--amount/);
    }
    r = relais(['accounts', 'show', '--account', 'nobody', '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no account 'nobody'/);
    r = relais(['accounts', 'refund', '--account', 'shop', '--db', db]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown action 'refund' \(known: show, credit\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
