// The connector against an SMPP implementation we did not write: the npm
// package `smpp` plays the SMSC on an ephemeral port, `relais smpp-send` is the
// real binary. Assertions are on what the npm server decoded from our bytes
// (and on the raw short_message / message_payload octets, kept before the
// package decodes them), and on smpp-send's JSON lines and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

// An SMSC: binds everyone (or refuses with bindStatus), answers enquire_link,
// answers each submit_sm through onSubmit(pdu, n, session) or with "ID<n>".
function smsc({ bindStatus = 0, onSubmit } = {}) {
  const seen = { binds: [], submits: [], enquireResps: 0, unbinds: 0, deliverResps: 0 };
  const server = smpp.createServer((session) => {
    session.on('error', () => {});
    session.on('bind_transceiver', (pdu) => {
      seen.binds.push(pdu);
      session.send(pdu.response({ command_status: bindStatus, system_id: 'npmsmsc' }));
      if (bindStatus) return;
      // The SMSC checks the link too: relais must answer.
      session.enquire_link({}, () => { seen.enquireResps++; });
    });
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      seen.unbinds++;
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu) => {
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

function textReceipt(session, id, stat, err = '000') {
  const body = `id:${id} sub:001 dlvrd:001 submit date:2401010000 done date:2401010001 stat:${stat} err:${err} text:hello`;
  session.deliver_sm({
    source_addr: '33612345678',
    destination_addr: 'MaBoutique',
    esm_class: 0x04,
    data_coding: 0,
    short_message: Buffer.from(body, 'ascii'),
  }, () => {});
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
