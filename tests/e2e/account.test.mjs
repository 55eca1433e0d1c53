// GET /v1/account and the low-balance event: one per crossing of the
// threshold, not one per message sent while below it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { relais, spawnWaiting } from './lib.mjs';

test('low_balance: recorded once per crossing, with the balance after the debit', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-acc-'));
  const conf = path.join(dir, 'relais.conf');
  // No route: messages stay queued, which is enough: the debit happens when a
  // message is accepted by the API.
  writeFileSync(conf, ['[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[billing]', 'default_price = 0.045', 'prices = +33:0.045', 'low_balance = 10', ''].join('\n'));
  const k = relais(['keys', 'create', '--account', 'acme', '--config', conf]);
  assert.equal(k.code, 0, k.stderr);
  const key = k.stdout.split('\n')[0].trim();
  assert.equal(relais(['accounts', 'credit', '--account', 'acme', '--amount', '10.05', '--config', conf]).code, 0);
  const serve = spawnWaiting(['serve', '--config', conf, '--port', '0']);
  try {
    const url = await serve.ready;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const send = async () => {
      const r = await fetch(new URL('v1/messages', url), {
        method: 'POST', headers: auth,
        body: JSON.stringify({ to: '+33612345678', text: 'Bonjour', from: 'RELAIS' }),
      });
      assert.equal(r.status, 202, await r.text());
    };
    const account = async () => {
      const r = await fetch(new URL('v1/account', url), { headers: auth });
      assert.equal(r.status, 200);
      return r.json();
    };
    // 10.05 - 0.045 = 10.005: still at or above 10, nothing.
    await send();
    let a = await account();
    assert.deepEqual([a.name, a.balance, a.currency, a.low_balance_threshold, a.events], ['acme', '10.005', 'EUR', '10', []]);
    // 10.005 - 0.045 = 9.96: crossed, one event.
    await send();
    a = await account();
    assert.equal(a.balance, '9.96');
    assert.equal(a.events.length, 1);
    assert.deepEqual([a.events[0].kind, a.events[0].balance, a.events[0].threshold], ['low_balance', '9.96', '10']);
    // 9.915: still below, no second event.
    await send();
    a = await account();
    assert.equal(a.balance, '9.915');
    assert.equal(a.events.length, 1);
    // Credited back above (10.015), then crossing again (9.97): a second event.
    assert.equal(relais(['accounts', 'credit', '--account', 'acme', '--amount', '0.1', '--config', conf]).code, 0);
    await send();
    a = await account();
    assert.equal(a.balance, '9.97');
    assert.equal(a.events.length, 2);
    assert.equal(a.events[0].balance, '9.97'); // newest first
    assert.equal((serve.log().match(/msg=low_balance/g) || []).length, 2, serve.log());
    // The key is needed.
    assert.equal((await fetch(new URL('v1/account', url))).status, 401);
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('http.rate_limit: 429 rate_limited with Retry-After past the key\'s rate; other keys unaffected', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-rl-'));
  const conf = path.join(dir, 'relais.conf');
  writeFileSync(conf, ['[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[http]', 'rate_limit = 3', ''].join('\n'));
  const keys = ['acme', 'other'].map((a) => {
    const k = relais(['keys', 'create', '--account', a, '--config', conf]);
    assert.equal(k.code, 0, k.stderr);
    return k.stdout.split('\n')[0].trim();
  });
  const serve = spawnWaiting(['serve', '--config', conf, '--port', '0']);
  try {
    const url = await serve.ready;
    const get = (key) => fetch(new URL('v1/account', url), { headers: { authorization: `Bearer ${key}` } });
    // A burst of a second's worth (3) passes; the 4th, sent at once, does
    // not: at 3 a second the next token is at most 1/3 s away, so Retry-After
    // (whole seconds, rounded up) is 1. Sent in sequence, the four take far
    // less than the 333 ms a token takes to come back on loopback.
    const codes = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await get(keys[0]);
      codes.push(last.status);
    }
    assert.deepEqual(codes, [200, 200, 200, 429]);
    assert.equal(last.headers.get('retry-after'), '1');
    const body = await last.json();
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /http\.rate_limit/);
    // The other key has its own budget.
    assert.equal((await get(keys[1])).status, 200);
    // After the wait the first key may go on.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await get(keys[0])).status, 200);
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
