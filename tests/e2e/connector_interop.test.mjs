// The connector against an SMPP implementation we did not write: the npm
// package `smpp` plays the SMSC on an ephemeral port, `relais smpp-send` is the
// real binary. Assertions are on what the npm server decoded from our bytes
// (and on the raw short_message / message_payload octets, kept before the
// package decodes them), and on smpp-send's JSON lines and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smpp from 'smpp';
import { BIN } from './lib.mjs';

// Keep the octets as they came off the wire: the package turns short_message
// into {udh, message} strings, and we want to check our encoding.
const decodeFilter = smpp.PDU.prototype._filter;
smpp.PDU.prototype._filter = function (func) {
  if (func === 'decode') {
    this.raw_sm = this.short_message;
    this.raw_payload = this.message_payload;
  }
  return decodeFilter.call(this, func);
};

// An SMSC: binds everyone (or refuses with bindStatus, a status or a function
// of the bind command) in any of the three modes, answers enquire_link, answers each submit_sm through
// onSubmit(pdu, n, session, seen) or with "ID<n>". Every session gets conn (0
// for the first connection, 1 for the next...) and, once bound, role
// (transceiver, transmitter or receiver); binds and submits carry the conn
// they came on.
function smsc({ bindStatus = 0, onSubmit } = {}) {
  const seen = { binds: [], submits: [], sessions: [], enquireResps: 0, unbinds: 0, deliverResps: 0 };
  const server = smpp.createServer((session) => {
    session.conn = seen.sessions.length;
    seen.sessions.push(session);
    session.on('error', () => {});
    for (const cmd of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
      session.on(cmd, (pdu) => {
        pdu.conn = session.conn;
        seen.binds.push(pdu);
        const status = typeof bindStatus === 'function' ? bindStatus(cmd) : bindStatus;
        session.send(pdu.response({ command_status: status, system_id: 'npmsmsc' }));
        if (status) return;
        session.role = cmd.slice('bind_'.length);
        // The SMSC checks the link too: relais must answer.
        session.enquire_link({}, () => { seen.enquireResps++; });
      });
    }
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      seen.unbinds++;
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu) => {
      pdu.conn = session.conn;
      seen.submits.push(pdu);
      const n = seen.submits.length;
      if (onSubmit) onSubmit(pdu, n, session, seen);
      else session.send(pdu.response({ message_id: `ID${n}` }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ port: server.address().port, seen, close: () => server.close() });
    });
  });
}

// Runs relais without blocking the event loop the npm server lives on.
function relais(args, { input, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ code, stdout, stderr, lines });
    });
    child.stdin.end(input ?? '');
  });
}

const login = (port) => ['smpp-send', '--port', String(port), '--system-id', 'relais', '--password', 'secret'];

function textReceipt(session, id, stat, err = '000', onResp = () => {}) {
  const body = `id:${id} sub:001 dlvrd:001 submit date:2401010000 done date:2401010001 stat:${stat} err:${err} text:hello`;
  session.deliver_sm({
    source_addr: '33612345678',
    destination_addr: 'MaBoutique',
    esm_class: 0x04,
    data_coding: 0,
    short_message: Buffer.from(body, 'ascii'),
  }, onResp);
}

test('bind_transceiver, addresses and GSM data_coding as the npm SMSC reads them', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--system-type', 'VMA', '--from', 'MaBoutique',
      '--to', '+33612345678', 'Hello @ world']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.binds.length, 1);
    const b = s.seen.binds[0];
    assert.equal(b.system_id, 'relais');
    assert.equal(b.password, 'secret');
    assert.equal(b.system_type, 'VMA');
    assert.equal(b.interface_version, 0x34);
    assert.equal(s.seen.submits.length, 1);
    const p = s.seen.submits[0];
    assert.equal(p.source_addr_ton, 5);
    assert.equal(p.source_addr_npi, 0);
    assert.equal(p.source_addr, 'MaBoutique');
    assert.equal(p.dest_addr_ton, 1);
    assert.equal(p.dest_addr_npi, 1);
    assert.equal(p.destination_addr, '33612345678');
    assert.equal(p.data_coding, 0);
    assert.equal(p.esm_class, 0);
    assert.equal(p.registered_delivery, 0);
    // GSM 03.38, one septet per octet: '@' is 0x00.
    assert.deepEqual([...p.raw_sm], [...Buffer.from('Hello '), 0x00, ...Buffer.from(' world')]);
    assert.deepEqual(r.lines, [{ part: 1, parts: 1, message_id: 'ID1', status: 'accepted' }]);
    assert.equal(s.seen.enquireResps, 1, 'enquire_link answered');
    assert.equal(s.seen.unbinds, 1, 'unbinds before leaving');
  } finally {
    s.close();
  }
});

test('a national --to is read in --region and sent in international form', async () => {
  const s = await smsc();
  try {
    let r = await relais([...login(s.port), '--to', '06 10 20 30 40', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    r = await relais([...login(s.port), '--region', 'BE', '--to', '0470 12 34 56', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.seen.submits.map((p) => [p.dest_addr_ton, p.dest_addr_npi, p.destination_addr]),
      [[1, 1, '33610203040'], [1, 1, '32470123456']]);
    // Not a number in FR: refused before connecting, naming why.
    r = await relais([...login(s.port), '--to', '0610', 'hi']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'0610' is too short for FR/);
    assert.equal(s.seen.submits.length, 2);
  } finally {
    s.close();
  }
});

test('numeric sender +33 is TON 1 / NPI 1 without the plus', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--from', '+33700000000', '--to', '+32470000000', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    const p = s.seen.submits[0];
    assert.equal(p.source_addr_ton, 1);
    assert.equal(p.source_addr_npi, 1);
    assert.equal(p.source_addr, '33700000000');
    assert.equal(p.destination_addr, '32470000000');
  } finally {
    s.close();
  }
});

test('UCS-2 text is data_coding 8 in UTF-16BE', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', 'Привет 😀']);
    assert.equal(r.code, 0, r.stderr);
    const p = s.seen.submits[0];
    assert.equal(p.data_coding, 8);
    assert.deepEqual(p.raw_sm, Buffer.from('Привет 😀', 'utf16le').swap16());
  } finally {
    s.close();
  }
});

test('--data-coding-gsm sets the GSM data_coding', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--data-coding-gsm', '1', '--to', '+33612345678', 'abc']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.submits[0].data_coding, 1);
  } finally {
    s.close();
  }
});

const long = 'a'.repeat(200); // 153 + 47 septets: two parts

test('a long GSM text is two parts with a concatenation UDH', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', long]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.submits.length, 2);
    const [a, b] = s.seen.submits;
    for (const [i, p] of [a, b].entries()) {
      assert.equal(p.esm_class & 0x40, 0x40);
      assert.deepEqual([...p.raw_sm.subarray(0, 3)], [0x05, 0x00, 0x03]);
      assert.equal(p.raw_sm[4], 2);
      assert.equal(p.raw_sm[5], i + 1);
    }
    assert.equal(a.raw_sm[3], b.raw_sm[3], 'one reference for both parts');
    assert.equal(a.raw_sm.length, 6 + 153);
    assert.equal(b.raw_sm.length, 6 + 47);
    assert.deepEqual(r.lines, [
      { part: 1, parts: 2, message_id: 'ID1', status: 'accepted' },
      { part: 2, parts: 2, message_id: 'ID2', status: 'accepted' },
    ]);
  } finally {
    s.close();
  }
});

test('sar mode: sar TLVs and no UDH', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--long-mode', 'sar', '--to', '+33612345678', long]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.submits.length, 2);
    const [a, b] = s.seen.submits;
    assert.equal(a.sar_msg_ref_num, b.sar_msg_ref_num);
    assert.equal(a.sar_total_segments, 2);
    assert.equal(b.sar_total_segments, 2);
    assert.equal(a.sar_segment_seqnum, 1);
    assert.equal(b.sar_segment_seqnum, 2);
    assert.equal(a.esm_class & 0x40, 0);
    assert.equal(a.raw_sm.length + b.raw_sm.length, 200);
    assert.equal(a.raw_sm[0], 0x61);
  } finally {
    s.close();
  }
});

test('payload mode: one submit_sm with message_payload', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--long-mode', 'payload', '--to', '+33612345678', long]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.submits.length, 1);
    const p = s.seen.submits[0];
    assert.equal(p.raw_sm.length, 0);
    assert.deepEqual(p.raw_payload, Buffer.from(long));
    assert.equal(r.lines.length, 1);
  } finally {
    s.close();
  }
});

test('text receipt reported with --wait-receipt', async () => {
  const s = await smsc({
    onSubmit: (pdu, n, session) => {
      session.send(pdu.response({ message_id: '0000A1' }));
      setTimeout(() => textReceipt(session, 'a1', 'DELIVRD'), 20);
    },
  });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', '--wait-receipt', '10', 'receipt']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.submits[0].registered_delivery, 1);
    assert.deepEqual(r.lines, [{
      part: 1, parts: 1, message_id: '0000A1', status: 'accepted', receipt: 'delivered', err: 0,
    }]);
  } finally {
    s.close();
  }
});

test('TLV receipt reported with --wait-receipt; undeliverable exits 1', async () => {
  const s = await smsc({
    onSubmit: (pdu, n, session) => {
      session.send(pdu.response({ message_id: 'T1' }));
      session.deliver_sm({
        source_addr: '33612345678',
        esm_class: 0x04,
        receipted_message_id: 'T1',
        message_state: 5,
      }, () => { s.seen.deliverResps++; });
    },
  });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', '--wait-receipt', '10', 'tlv']);
    assert.equal(r.code, 1);
    assert.equal(r.lines.length, 1);
    assert.equal(r.lines[0].receipt, 'undeliverable');
    assert.equal(r.lines[0].message_id, 'T1');
    assert.equal(s.seen.deliverResps, 1, 'deliver_sm answered');
  } finally {
    s.close();
  }
});

test('ESME_RTHROTTLED once, then accepted: exit 0', async () => {
  const s = await smsc({
    onSubmit: (pdu, n, session) => {
      if (n === 1) session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      else session.send(pdu.response({ message_id: 'OK2' }));
    },
  });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', 'slow down']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.submits.length, 2);
    assert.deepEqual(s.seen.submits[0].raw_sm, s.seen.submits[1].raw_sm);
    assert.deepEqual(r.lines, [{ part: 1, parts: 1, message_id: 'OK2', status: 'accepted' }]);
  } finally {
    s.close();
  }
});

test('a permanent error exits 1 and names the status in words', async () => {
  const s = await smsc({
    onSubmit: (pdu, n, session) => session.send(pdu.response({ command_status: smpp.ESME_RINVDSTADR })),
  });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', 'nowhere']);
    assert.equal(r.code, 1);
    assert.equal(s.seen.submits.length, 1, 'not retried');
    assert.match(r.stderr, /ESME_RINVDSTADR/);
    assert.match(r.stderr, /invalid destination address/);
    assert.equal(r.lines[0].status, 'failed');
    assert.equal(r.lines[0].error, 'ESME_RINVDSTADR');
  } finally {
    s.close();
  }
});

test('bind refused: exit 1 with the status in words', async () => {
  const s = await smsc({ bindStatus: smpp.ESME_RINVPASWD });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bind refused/);
    assert.match(r.stderr, /ESME_RINVPASWD \(invalid password\)/);
    assert.doesNotMatch(r.stderr, /secret/, 'never the password');
    assert.equal(r.lines.length, 0);
  } finally {
    s.close();
  }
});

test('usage errors exit 2', async () => {
  const r = await relais(['smpp-send', 'text without --to']);
  assert.equal(r.code, 2);
});

// --- transmitter + receiver ---------------------------------------------------

test('transmitter_receiver: two binds, submits on the transmitter, receipts on the receiver', async () => {
  const resps = [];
  const s = await smsc({
    onSubmit: (pdu, n, session, seen) => {
      session.send(pdu.response({ message_id: `TR${n}` }));
      if (n < 2) return;
      // Both parts accepted: their receipts on the other connection (where
      // they may overtake the responses: relais holds them until matched).
      const rx = seen.sessions.find((x) => x.role === 'receiver');
      for (const id of ['TR1', 'TR2']) {
        textReceipt(rx, id, 'DELIVRD', '000', (resp) => resps.push({ conn: rx.conn, status: resp.command_status }));
      }
    },
  });
  try {
    const r = await relais([...login(s.port), '--system-type', 'VMA', '--bind', 'transmitter_receiver',
      '--to', '+33612345678', '--wait-receipt', '10', long]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.seen.binds.map((b) => b.command).sort(), ['bind_receiver', 'bind_transmitter']);
    for (const b of s.seen.binds) {
      assert.equal(b.system_id, 'relais');
      assert.equal(b.password, 'secret');
      assert.equal(b.system_type, 'VMA');
      assert.equal(b.interface_version, 0x34);
    }
    const tx = s.seen.binds.find((b) => b.command === 'bind_transmitter').conn;
    const rx = s.seen.binds.find((b) => b.command === 'bind_receiver').conn;
    assert.notEqual(tx, rx, 'two connections');
    assert.equal(s.seen.sessions.length, 2);
    assert.deepEqual(s.seen.submits.map((p) => p.conn), [tx, tx], 'submit_sm on the transmitter only');
    assert.deepEqual(r.lines, [
      { part: 1, parts: 2, message_id: 'TR1', status: 'accepted', receipt: 'delivered', err: 0 },
      { part: 2, parts: 2, message_id: 'TR2', status: 'accepted', receipt: 'delivered', err: 0 },
    ]);
    assert.deepEqual(resps, [{ conn: rx, status: 0 }, { conn: rx, status: 0 }], 'deliver_sm_resp on the receiver');
    assert.equal(s.seen.enquireResps, 2, 'enquire_link answered on both');
    assert.equal(s.seen.unbinds, 2, 'both unbound');
  } finally {
    s.close();
  }
});

test('transmitter_receiver: a refused bind_receiver is named; nothing is sent; exit 1', async () => {
  const s = await smsc({ bindStatus: (cmd) => (cmd === 'bind_receiver' ? smpp.ESME_RBINDFAIL : 0) });
  try {
    const r = await relais([...login(s.port), '--bind', 'transmitter_receiver', '--to', '+33612345678', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bind refused by 127\.0\.0\.1:\d+ for the receiver: ESME_RBINDFAIL/);
    assert.ok(s.seen.binds.some((b) => b.command === 'bind_receiver'));
    assert.equal(s.seen.submits.length, 0, 'no submit_sm before both connections are bound');
    assert.equal(r.lines.length, 0);
  } finally {
    s.close();
  }
});

// --- inbound (MO) messages --------------------------------------------------------

const moFrom = { source_addr_ton: 1, source_addr_npi: 1, source_addr: '33611111111', destination_addr: '36180' };
const udh = (ref, total, seq) => Buffer.from([0x05, 0x00, 0x03, ref, total, seq]);
const ucs2 = (t) => Buffer.from(t, 'utf16le').swap16();

test('--wait-reply: a single GSM MO, a UCS-2 one in two UDH parts out of order, a GSM one with sar TLVs', async () => {
  const resps = [];
  const ucsText = ['Merci, à demain ', '😀 Привет'];
  const s = await smsc({
    onSubmit: (pdu, n, session) => {
      session.send(pdu.response({ message_id: 'Q1' }));
      const mo = (fields) => session.deliver_sm({ ...moFrom, ...fields }, (r) => resps.push(r.command_status));
      mo({ esm_class: 0, data_coding: 0, short_message: Buffer.from('OUI') });
      // Part 2 first: relais must put them back in order.
      mo({ esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([udh(0x7a, 2, 2), ucs2(ucsText[1])]) });
      mo({ esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([udh(0x7a, 2, 1), ucs2(ucsText[0])]) });
      // GSM 03.38 unpacked: '@' is 0x00, 'é' is 0x05.
      const sar = (seq, bytes) => mo({
        esm_class: 0, data_coding: 0, short_message: Buffer.from(bytes),
        sar_msg_ref_num: 0x1234, sar_total_segments: 2, sar_segment_seqnum: seq,
      });
      sar(1, [...Buffer.from('Rendez-vous '), 0x00, ...Buffer.from(' 10h ')]);
      sar(2, [...Buffer.from('chez Zo'), 0x05]);
    },
  });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', '--wait-reply', '15', '--replies', '3',
      'Venez-vous ?']);
    assert.equal(r.code, 0, r.stderr);
    const from = '+33611111111';
    assert.deepEqual(r.lines, [
      { part: 1, parts: 1, message_id: 'Q1', status: 'accepted' },
      { inbound: { from, to: '36180', text: 'OUI', parts: 1, encoding: 'gsm7' } },
      { inbound: { from, to: '36180', text: ucsText.join(''), parts: 2, encoding: 'ucs2' } },
      { inbound: { from, to: '36180', text: 'Rendez-vous @ 10h chez Zoé', parts: 2, encoding: 'gsm7' } },
    ]);
    assert.deepEqual(resps, [0, 0, 0, 0, 0], 'every part answered ESME_ROK');
  } finally {
    s.close();
  }
});

test('--wait-reply with no reply exits 1 after the wait', async () => {
  const s = await smsc();
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', '--wait-reply', '1', 'anyone?']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no message received within 1 s/);
    assert.deepEqual(r.lines, [{ part: 1, parts: 1, message_id: 'ID1', status: 'accepted' }]);
    assert.equal(s.seen.unbinds, 1);
  } finally {
    s.close();
  }
});

// --- a connection lost with the window full --------------------------------------

test('disconnect mid-window: the unanswered parts are submitted again after the rebind', async () => {
  const text = 'b'.repeat(400); // 153 + 153 + 94 septets: three parts
  const s = await smsc({
    onSubmit: (pdu, n, session, seen) => {
      if (session.conn > 0) {
        session.send(pdu.response({ message_id: `ID${n}` }));
        return;
      }
      const first = seen.submits.filter((p) => p.conn === 0);
      if (first.length < 3) return; // hold them until the window has all three
      // Answer part 1 only, then drop the connection once that answer is out.
      session.send(first[0].response({ message_id: 'ID1' }), () => session.destroy());
    },
  });
  try {
    const r = await relais([...login(s.port), '--to', '+33612345678', text]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.seen.binds.length, 2, 'bound again');
    assert.deepEqual(s.seen.binds.map((b) => b.conn), [0, 1]);
    const before = s.seen.submits.filter((p) => p.conn === 0);
    const after = s.seen.submits.filter((p) => p.conn === 1);
    assert.deepEqual(before.map((p) => p.raw_sm[5]), [1, 2, 3], 'UDH sequence numbers, first connection');
    assert.deepEqual(after.map((p) => p.raw_sm[5]), [2, 3], 'only the unanswered parts, in order');
    assert.deepEqual(after[0].raw_sm, before[1].raw_sm, 'part 2 byte for byte');
    assert.deepEqual(after[1].raw_sm, before[2].raw_sm, 'part 3 byte for byte');
    assert.deepEqual(r.lines, [
      { part: 1, parts: 3, message_id: 'ID1', status: 'accepted' },
      { part: 2, parts: 3, message_id: 'ID4', status: 'accepted', attempts: 2 },
      { part: 3, parts: 3, message_id: 'ID5', status: 'accepted', attempts: 2 },
    ]);
  } finally {
    s.close();
  }
});

// --- a route from relais.conf --------------------------------------------------------

async function withConfig(text, fn) {
  const dir = await mkdtemp(path.join(tmpdir(), 'relais-route-'));
  const file = path.join(dir, 'relais.conf');
  await writeFile(file, text);
  try {
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('--config/--route: the route login, window and sar mode; an option overrides the file', async () => {
  let inFlightAtBarrier = null;
  const s = await smsc({
    onSubmit: (pdu, n, session, seen) => {
      if (n > 2) {
        session.send(pdu.response({ message_id: `C${n}` }));
        return;
      }
      if (n < 2) return;
      // Two unanswered. Whatever relais sent before answering this
      // enquire_link arrives before the answer: a third part would be seen.
      session.enquire_link({}, () => {
        inFlightAtBarrier = seen.submits.length;
        seen.submits.slice(0, 2).forEach((p, i) => session.send(p.response({ message_id: `C${i + 1}` })));
      });
    },
  });
  const conf = `[route other]
host = 192.0.2.1

[route npm]
host = 127.0.0.1
port = ${s.port}
system_id = cfguser
password = cfgpass
system_type = FILE
window = 2
long_mode = sar
`;
  try {
    await withConfig(conf, async (file) => {
      const r = await relais(['smpp-send', '--config', file, '--route', 'npm', '--system-type', 'CLI',
        '--to', '+33612345678', 'c'.repeat(400)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(s.seen.binds.length, 1);
      const b = s.seen.binds[0];
      assert.equal(b.command, 'bind_transceiver');
      assert.equal(b.system_id, 'cfguser');
      assert.equal(b.password, 'cfgpass');
      assert.equal(b.system_type, 'CLI', '--system-type overrides the file');
      assert.equal(inFlightAtBarrier, 2, 'window = 2');
      const subs = s.seen.submits;
      assert.equal(subs.length, 3);
      assert.deepEqual(subs.map((p) => p.sar_segment_seqnum), [1, 2, 3]);
      for (const p of subs) {
        assert.equal(p.sar_total_segments, 3);
        assert.equal(p.sar_msg_ref_num, subs[0].sar_msg_ref_num);
        assert.equal(p.esm_class & 0x40, 0, 'no UDH in sar mode');
        assert.equal(p.registered_delivery, 1, 'the route asks for receipts (its default)');
      }
      assert.equal(Buffer.concat(subs.map((p) => p.raw_sm)).toString(), 'c'.repeat(400));
      assert.deepEqual(r.lines.map((l) => l.message_id), ['C1', 'C2', 'C3']);
    });
  } finally {
    s.close();
  }
});

test('--route that the file does not declare: exit 2 naming the routes declared', async () => {
  await withConfig('[route orange]\nhost = 192.0.2.1\n\n[route sfr]\nhost = 192.0.2.2\n', async (file) => {
    const r = await relais(['smpp-send', '--config', file, '--route', 'bouygues', '--to', '+33612345678', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--route bouygues: .*relais\.conf declares no such route \(declared: orange, sfr\)/);
    assert.equal(r.lines.length, 0);
  });
});
