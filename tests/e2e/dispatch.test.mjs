// The dispatcher as a user meets it: `relais smsc-sim` plays the operator,
// `relais serve` has a [route] pointing to it, messages go in through
// POST /v1/messages and are followed with GET /v1/messages/{id} until the
// receipt says delivered. Every wait is a bounded poll, never a fixed sleep.
import test from 'node:test';
import assert from 'node:assert/strict';
import { relais, spawnWaiting, startPipeline } from './lib.mjs';


async function send(env, to, text) {
  const r = await fetch(new URL('v1/messages', env.url), {
    method: 'POST', headers: env.auth, body: JSON.stringify({ to, text, from: 'RELAIS' }),
  });
  const body = await r.json();
  assert.ok(r.status === 201 || r.status === 202, `POST /v1/messages: ${r.status} ${JSON.stringify(body)}`);
  return body.id;
}

async function get(env, id) {
  const r = await fetch(new URL(`v1/messages/${id}`, env.url), { headers: env.auth });
  assert.equal(r.status, 200);
  return r.json();
}

// Polls until the message is in one of states, at most ms milliseconds.
async function waitStatus(env, id, states, ms = 10000) {
  const deadline = Date.now() + ms;
  let m;
  while (Date.now() < deadline) {
    m = await get(env, id);
    if (states.includes(m.status)) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`message ${id} still ${m && m.status} after ${ms} ms: ${JSON.stringify(m)}`);
}

test('a message goes through the simulator and ends delivered, its history explaining each step', async () => {
  const env = await startPipeline(['--receipt-delay', '0', '--delivery-rate', '1', '--reply-rate', '0']);
  try {
    const id = await send(env, '+33612345678', 'Votre colis arrive demain.');
    const m = await waitStatus(env, id, ['delivered']);
    assert.equal(m.route, 'sim');
    assert.equal(m.parts.length, 1);
    assert.equal(m.parts[0].status, 'delivered');
    assert.ok(m.parts[0].operator_id);
    const steps = m.events.map((e) => `${e.status}:${e.reason}`);
    for (const want of ['queued:api', 'submitting:claimed', 'submitted:accepted', 'delivered:delivered']) {
      assert.ok(steps.some((s) => s.startsWith(want)), `${want} in ${steps.join(' ')}`);
    }
  } finally {
    await env.cleanup();
  }
});

test('SIGTERM with a batch in flight: serve drains and exits 0; restarted, it finds nothing left submitting and delivers the rest', async () => {
  // A slow operator: 20 submit_sm a second, receipts after 2 s.
  const env = await startPipeline(['--receipt-delay', '2s', '--throttle', '20', '--delivery-rate', '1', '--reply-rate', '0']);
  try {
    const ids = [];
    for (let i = 0; i < 60; i++) ids.push(await send(env, `+336123456${String(i).padStart(2, '0')}`, `n ${i}`));
    // Wait until the dispatcher has some of them at the SMSC.
    await waitStatus(env, ids[0], ['submitted', 'delivered']);
    const t0 = Date.now();
    env.serve.child.kill('SIGTERM');
    const timer = setTimeout(() => env.serve.child.kill('SIGKILL'), 30000);
    const { code, sig } = await env.serve.exited;
    clearTimeout(timer);
    assert.equal(sig, null, `killed after ${Date.now() - t0} ms:\n${env.serve.log()}`);
    assert.equal(code, 0, env.serve.log());
    assert.match(env.serve.log(), /mod=dispatch msg=stopped/);
    // Started again on the same store: no message was left in submitting (the
    // drain put back what had not gone), and every one ends delivered.
    const again = spawnWaiting(['serve', '--config', env.conf, '--port', '0'], /msg=listening url=(\S+)/, 'serve listening');
    env.serve = again;
    env.url = await again.ready;
    for (const id of ids) await waitStatus(env, id, ['delivered'], 20000);
    assert.doesNotMatch(again.log(), /stale_submitting_released/);
  } finally {
    await env.cleanup();
  }
});
