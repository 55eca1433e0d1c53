// What a sender learns of a message that does not go through, using HTTP
// only: POST it, then GET it until it is final, and read its state, parts
// and events. The operators are `relais smsc-sim` (whose outcomes its help
// documents: a valid number that is not a mobile ends UNDELIV err:011) and
// an SMSC played by the npm `smpp` package that refuses a first submit_sm
// with ESME_RSYSERR (0x08, a temporary error: retried with backoff).
import test from 'node:test';
import assert from 'node:assert/strict';
import { FINAL_STATES, npmSmsc, startPipeline, startRelais, waitFor } from './lib.mjs';

async function final(env, id) {
  return waitFor(async () => {
    const r = await fetch(new URL(`v1/messages/${id}`, env.url), { headers: env.auth });
    assert.equal(r.status, 200);
    const m = await r.json();
    return FINAL_STATES.includes(m.status) ? m : null;
  }, { ms: 15000, what: `message ${id} final` });
}

test('undeliverable: the operator\'s receipt fails the message, and its history names the error', async () => {
  const env = await startPipeline(['--receipt-delay', '0', '--reply-rate', '0', '--delivery-rate', '1']);
  try {
    // 01 23 45 67 89: a Paris fixed line, valid, so relais takes it; the
    // simulator's operator cannot deliver an SMS to it: UNDELIV err:011.
    const r = await fetch(new URL('v1/messages', env.url), {
      method: 'POST', headers: env.auth, body: JSON.stringify({ to: '01 23 45 67 89', text: 'Bonjour', from: 'SHOP' }),
    });
    const body = await r.json();
    assert.equal(r.status, 202, JSON.stringify(body));
    const m = await final(env, body.id);
    assert.equal(m.status, 'failed');
    assert.equal(m.to, '+33123456789');
    assert.deepEqual(m.parts.map((p) => [p.status, p.error]), [['failed', '011']]);
    // The history: accepted by the SMSC first, then failed by the receipt,
    // with the operator's error in the reason and the detail.
    const steps = m.events.map((e) => e.status);
    assert.deepEqual(steps, ['queued', 'submitting', 'submitted', 'failed']);
    const last = m.events[3];
    assert.match(last.reason, /^undeliverable:err=011/);
    assert.equal(last.detail, 'part=1 err=011');
  } finally {
    await env.cleanup();
  }
});

test('a temporary refusal: retrying, its event saying when the next attempt is due, then delivered', async () => {
  const tries = new Map();
  const smsc = await npmSmsc({
    decide: (rec) => {
      const n = tries.get(rec.to) || 0;
      tries.set(rec.to, n + 1);
      return n === 0 ? 0x08 : 0; // ESME_RSYSERR once, then accepted
    },
  });
  // retry_min 1s: the first retry waits 1 s less up to 25 % jitter
  // (cfg.def's [dispatch] retry_min), so 750 to 1000 ms.
  const env = await startRelais(smsc.port, ['default_sender = SHOP', '[dispatch]', 'retry_min = 1s', 'retry_max = 2s']);
  try {
    const r = await env.api('v1/messages', { method: 'POST', body: JSON.stringify({ to: '+33612345678', text: 'Code 1234' }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const m = await final(env, r.body.id);
    assert.equal(m.status, 'delivered');
    assert.deepEqual([...tries.values()], [2], 'refused once, accepted the second time');
    const i = m.events.findIndex((e) => e.status === 'retrying');
    assert.ok(i > 0, JSON.stringify(m.events));
    const retry = m.events[i];
    assert.match(retry.reason, /ESME_RSYSERR/);
    const next = /(?:^| )next_at=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)$/.exec(retry.detail || '');
    assert.ok(next, `next_at in ${JSON.stringify(retry)}`);
    const wait = Date.parse(next[1]) - Date.parse(retry.at);
    // The event is written a few ms after the wait was decided: at most 1 s.
    assert.ok(wait > 500 && wait <= 1000, `next_at is ${wait} ms after the event`);
    // The next attempt is claimed no earlier than next_at.
    const again = m.events.slice(i + 1).find((e) => e.status === 'submitting');
    assert.equal(again.detail, 'attempt=2');
    assert.ok(Date.parse(again.at) >= Date.parse(next[1]), `${again.at} before ${next[1]}`);
  } finally {
    await env.cleanup();
    await smsc.stop().closed;
  }
});
