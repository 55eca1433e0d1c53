// `relais smsc-sim` against an ESME we did not write: the npm `smpp` client.
// The simulator runs as a child process on an ephemeral port read from its
// log line; every wait is bounded, and it must stop with exit code 0 on SIGTERM.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smpp from 'smpp';
import { BIN } from './lib.mjs';

const WAIT_MS = 5000;

function withTimeout(promise, what, ms = WAIT_MS) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

function startSim(args) {
  const child = spawn(BIN, ['smsc-sim', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  const listening = withTimeout(new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      const m = /msg=listening url=(\S+)/.exec(log);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${log}`)));
  }), 'the listening line');
  return { child, listening, exited, log: () => log };
}

async function stopSim(sim) {
  sim.child.kill('SIGTERM');
  const { code } = await withTimeout(sim.exited, 'the simulator to exit');
  assert.equal(code, 0, sim.log());
  assert.match(sim.log(), /msg=stats /);
  return sim.log();
}

// A connected npm session that keeps every deliver_sm and answers it with
// answer(pdu): a command_status, or null for no answer at all (default: 0).
async function connect(url, answer = () => 0) {
  const session = smpp.connect({ url });
  const delivered = [];
  const waiters = [];
  session.on('error', () => {});
  session.on('deliver_sm', (pdu) => {
    const status = answer(pdu);
    if (status !== null) session.send(pdu.response({ command_status: status }));
    delivered.push(pdu);
    for (const w of waiters.splice(0)) w();
  });
  await withTimeout(new Promise((resolve) => session.on('connect', resolve)), 'connect');
  const call = (op, params) => withTimeout(new Promise((resolve) => session[op](params, resolve)), op);
  // Resolves with the first deliver_sm (seen or to come) for which pred holds.
  const deliverWhere = (pred, what) => withTimeout(new Promise((resolve) => {
    const check = () => {
      const hit = delivered.find(pred);
      if (hit) resolve(hit);
      else waiters.push(check);
    };
    check();
  }), what);
  return { session, delivered, call, deliverWhere };
}

const text = (pdu) => {
  const m = pdu.short_message;
  return typeof m === 'string' ? m : Buffer.isBuffer(m) ? m.toString('latin1') : m.message;
};

test('bind, submit, receipts in both forms, UCS-2, an MO reply, unbind', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-sim-'));
  const script = path.join(dir, 'replies.txt');
  writeFileSync(script, '# always the same answer\nOUI\n');
  const sim = startSim(['--receipt-delay', '0', '--delivery-rate', '1', '--reply-rate', '1',
    '--reply-script', script, '--seed', '7', '--system-id', 'shop', '--password', 'secret']);
  try {
    const url = await sim.listening;
    assert.match(url, /^smpp:\/\/127\.0\.0\.1:\d+$/);
    const c = await connect(url);

    let r = await c.call('bind_transceiver', { system_id: 'shop', password: 'nope' });
    assert.equal(r.command_status, smpp.ESME_RINVPASWD);
    r = await c.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
    assert.equal(r.command_status, 0);
    assert.equal(r.system_id, 'relais-sim');

    r = await c.call('submit_sm', {
      source_addr: 'Shop', source_addr_ton: 5, destination_addr: '33612345678',
      dest_addr_ton: 1, dest_addr_npi: 1, registered_delivery: 1, short_message: 'Hello from npm',
    });
    assert.equal(r.command_status, 0);
    const id = r.message_id;
    assert.match(id, /^[0-9A-F]+$/, 'hex id by default');

    const receipt = await c.deliverWhere((p) => p.esm_class === 4 && p.receipted_message_id === id,
      'the receipt');
    assert.equal(receipt.message_state, 2);
    assert.equal(receipt.source_addr, '33612345678');
    assert.equal(receipt.destination_addr, 'Shop');
    assert.match(text(receipt), new RegExp(`^id:${id} sub:001 dlvrd:001 submit date:\\d{10} ` +
      'done date:\\d{10} stat:DELIVRD err:000 text:Hello from npm$'));

    const mo = await c.deliverWhere((p) => p.esm_class === 0, 'the reply');
    assert.equal(mo.source_addr, '33612345678');
    assert.equal(mo.destination_addr, 'Shop');
    assert.equal(mo.data_coding, 0);
    assert.equal(text(mo), 'OUI');

    r = await c.call('submit_sm', {
      destination_addr: '33612345678', dest_addr_ton: 1, registered_delivery: 1,
      short_message: 'Привет 👋 ça va ?',
    });
    assert.equal(r.command_status, 0, 'UCS-2 submit accepted');
    const id2 = r.message_id;
    assert.notEqual(id2, id);
    assert.equal(parseInt(id2, 16), parseInt(id, 16) + 1);
    const receipt2 = await c.deliverWhere((p) => p.receipted_message_id === id2, 'the UCS-2 receipt');
    assert.equal(receipt2.message_state, 2);

    // A destination that is not a mobile fails with its error code.
    r = await c.call('submit_sm', {
      destination_addr: '33123456789', dest_addr_ton: 1, registered_delivery: 1, short_message: 'x',
    });
    const fixed = await c.deliverWhere((p) => p.receipted_message_id === r.message_id, 'UNDELIV');
    assert.equal(fixed.message_state, 5);
    assert.match(text(fixed), /stat:UNDELIV err:011/);

    r = await c.call('enquire_link', {});
    assert.equal(r.command_status, 0);
    r = await c.call('unbind', {});
    assert.equal(r.command, 'unbind_resp');
    assert.equal(r.command_status, 0);
    await withTimeout(new Promise((resolve) => c.session.on('close', resolve)), 'the close');
  } finally {
    const log = await stopSim(sim);
    assert.match(log, /binds=1 bind_failures=1 submits=3 accepted=3/);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decimal ids with TLV-only receipts', async () => {
  const sim = startSim(['--receipt-delay', '0..20ms', '--id-format', 'dec', '--receipt-form', 'tlv',
    '--reply-rate', '0']);
  try {
    const c = await connect(await sim.listening);
    const r0 = await c.call('bind_transceiver', { system_id: 'relais', password: 'relais' });
    assert.equal(r0.command_status, 0);
    const r = await c.call('submit_sm', {
      destination_addr: '0612345678', registered_delivery: 1, short_message: 'Bonjour',
    });
    assert.equal(r.command_status, 0);
    assert.match(r.message_id, /^[0-9]+$/);
    const receipt = await c.deliverWhere((p) => p.receipted_message_id === r.message_id, 'receipt');
    assert.equal(receipt.esm_class, 4);
    assert.ok([2, 3, 5, 8].includes(receipt.message_state));
    c.session.close();
  } finally {
    await stopSim(sim);
  }
});

test('an unacknowledged receipt comes again after a reconnect; an error resp gets a retry',
  async () => {
    const sim = startSim(['--receipt-delay', '0', '--delivery-rate', '1', '--reply-rate', '0']);
    try {
      const url = await sim.listening;
      const a = await connect(url, () => null);
      await a.call('bind_transceiver', { system_id: 'relais', password: 'relais' });
      const r = await a.call('submit_sm', {
        destination_addr: '33612345678', dest_addr_ton: 1, registered_delivery: 1,
        short_message: 'Gone before the ack',
      });
      assert.equal(r.command_status, 0);
      const first = await a.deliverWhere((p) => p.receipted_message_id === r.message_id, 'receipt');
      a.session.close();
      await withTimeout(new Promise((resolve) => a.session.on('close', resolve)), 'the close');

      let errors = 1; // the first delivery on b is refused with ESME_RX_T_APPN
      const b = await connect(url, () => (errors-- > 0 ? smpp.ESME_RX_T_APPN : 0));
      assert.equal(smpp.ESME_RX_T_APPN, 0x64);
      await b.call('bind_receiver', { system_id: 'relais', password: 'relais' });
      await b.deliverWhere((p) => p.receipted_message_id === r.message_id, 'the resent receipt');
      await withTimeout(new Promise((resolve) => {
        const poll = () => (b.delivered.length >= 2 ? resolve() : setTimeout(poll, 10));
        poll();
      }), 'the retried receipt');
      for (const again of b.delivered) {
        assert.equal(again.receipted_message_id, first.receipted_message_id);
        assert.equal(text(again), text(first));
      }
      assert.equal(b.delivered.length, 2);
      b.session.close();
    } finally {
      const log = await stopSim(sim);
      assert.match(log, /msg=closed status=\S+ unacked=1/);
      assert.match(log, /deliver_acked=2 /);
    }
  });

test('throttle answers 0x58 beyond the rate', async () => {
  const sim = startSim(['--throttle', '1/s', '--receipt-delay', '0']);
  try {
    const c = await connect(await sim.listening);
    await c.call('bind_transmitter', { system_id: 'relais', password: 'relais' });
    const msg = { destination_addr: '33612345678', dest_addr_ton: 1, short_message: 'x' };
    const [a, b] = await Promise.all([c.call('submit_sm', msg), c.call('submit_sm', msg)]);
    assert.equal(a.command_status, 0);
    assert.equal(b.command_status, 0x58);
    assert.equal(b.command_status, smpp.ESME_RTHROTTLED);
    c.session.close();
  } finally {
    const log = await stopSim(sim);
    assert.match(log, /throttled=1/);
  }
});

test('bad options exit 2 naming the option', async () => {
  for (const [args, re] of [
    [['--delivery-rate', '1.5'], /--delivery-rate: invalid value '1.5'/],
    [['--receipt-delay', '2s..1s'], /--receipt-delay: invalid value '2s..1s'/],
    [['--receipt-form', 'xml'], /--receipt-form: invalid value 'xml'/],
  ]) {
    const child = spawn(BIN, ['smsc-sim', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const { code } = await withTimeout(
      new Promise((resolve) => child.on('exit', (c) => resolve({ code: c }))), 'exit');
    assert.equal(code, 2);
    assert.match(err, re);
  }
});
