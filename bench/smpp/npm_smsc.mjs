// The reference SMSC for bench/smpp: the npm `smpp` package (an implementation
// we did not write) answering every submit_sm at once and sending its receipt
// right after. Prints "port=N" when listening. Run with node from the repo root.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve('tests/e2e/package.json'));
const smpp = require('smpp');

let id = 0;
const server = smpp.createServer((session) => {
  session.on('error', () => {});
  const ok = (pdu) => session.send(pdu.response({ system_id: 'npmsmsc' }));
  session.on('bind_transceiver', ok);
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('deliver_sm_resp', () => {});
  session.on('submit_sm', (pdu) => {
    const mid = (++id).toString(16);
    session.send(pdu.response({ message_id: mid }));
    session.deliver_sm({
      source_addr: pdu.destination_addr,
      destination_addr: pdu.source_addr,
      esm_class: 4,
      short_message: `id:${mid} sub:001 dlvrd:001 submit date:2611220000 done date:2611220000 stat:DELIVRD err:000 text:`,
    });
  });
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`port=${server.address().port}`);
});
