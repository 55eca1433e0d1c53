// A submit_sm the SMSC never answers, on a route whose on_submit_timeout is
// unknown: the message ends unknown (it may have gone), is not sent again and
// is not refunded; its history says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { npmSmsc, startRelais, waitFor } from './lib.mjs';

test('on_submit_timeout = unknown: state unknown, may_have_been_sent, sent once', async () => {
  const smsc = await npmSmsc({ delayMs: 600000 }); // answers long after the test
  const env = await startRelais(smsc.port, ['submit_timeout = 1s', 'on_submit_timeout = unknown']);
  try {
    const r = await env.api('v1/messages', { method: 'POST', body: JSON.stringify({ to: '+33612345678', text: 'Bonjour', from: 'RELAIS' }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const m = await waitFor(async () => {
      const g = await env.api(`v1/messages/${r.body.id}`);
      return g.body.status === 'unknown' ? g.body : null;
    }, { ms: 15000, what: 'state unknown' });
    const last = m.events[m.events.length - 1];
    assert.equal(last.status, 'unknown');
    assert.match(`${last.reason} ${last.detail}`, /may_have_been_sent/);
    assert.equal(smsc.seen.perDest.get('33612345678') ?? smsc.seen.perDest.get('+33612345678'), 1);
    await env.stop();
  } finally {
    await env.cleanup();
    await smsc.stop().closed;
  }
});
