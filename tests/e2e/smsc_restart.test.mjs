// The SMSC restarts in the middle of a batch: the npm `smpp` package plays
// it, and at a random point of a 2,000-message batch every session socket is
// destroyed (no unbind, submit_sm left unanswered) and the listener closed;
// a moment later a new listener takes the same port, with the SMSC's state
// (its pending receipts) kept, as a real SMSC keeps its store. relais is
// driven through HTTP only. What the SMSC received, counted per destination,
// is the independent view of what relais sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { census, getMany, metrics, npmSmsc, postBatch, startRelais, waitFor } from './lib.mjs';

const N = Number(process.env.RELAIS_RESTART_N || 2000);
const WINDOW = 10;
const OUTAGE_MS = 300; // how long the port stays closed: the restart itself
const dest = (i) => `+3362${String(3000000 + i).padStart(7, '0')}`;

test(`SMSC restart mid-batch (${N} messages): one final state each, the window resent and flagged, duplicates only among the flagged`, { timeout: 60000 }, async () => {
  const t0 = Date.now();
  const dropAt = Math.floor(N * (0.2 + 0.4 * Math.random()));
  let drop = null; // {at: submits seen, dropped: the unanswered submits, closed}
  // Answers come 5 ms late, so that the SMSC holds submits it has read but
  // not answered when it goes down: those are the ones that may arrive twice.
  const smsc = await npmSmsc({
    delayMs: 5,
    onSubmit: () => {
      if (drop === null && smsc.seen.submits.length >= dropAt) drop = { at: smsc.seen.submits.length, ...smsc.stop() };
    },
  });
  const env = await startRelais(smsc.port, [`window = ${WINDOW}`]);
  try {
    const ids = await postBatch(env, Array.from({ length: N }, (_, i) => ({ to: dest(i), text: `restart ${i}`, from: 'RELAIS' })));
    const idOf = new Map(ids.map((id, i) => [dest(i).slice(1), id]));
    const toOf = new Map(ids.map((id, i) => [id, dest(i).slice(1)]));

    // The drop, from inside the SMSC; then relais notices it (route down in
    // /metrics) before the new listener opens on the same port.
    await waitFor(() => drop, { ms: 20000, what: `the SMSC to see ${dropAt} submit_sm`, describe: () => `(saw ${smsc.seen.submits.length})` });
    await drop.closed;
    await waitFor(async () => (await metrics(env.url)).get('relais_route_up{route="smsc"}') === 0, { ms: 5000, what: 'route_up 0 after the drop' });
    await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage itself, not a wait for a condition
    await smsc.start();
    const tRestarted = Date.now();

    // Bounded poll until nothing is left pending, then one census.
    let tally = {};
    await waitFor(async () => {
      const m = await metrics(env.url);
      tally = {};
      for (const [k, v] of m) {
        const st = /^relais_messages\{state="(\w+)"\}$/.exec(k);
        if (st && v) tally[st[1]] = v;
      }
      return tally.delivered === N;
    }, { ms: 40000, everyMs: 100, what: `${N} messages delivered`, describe: () => JSON.stringify(tally) });
    const tSettled = Date.now();
    const stateOf = await census(env);
    assert.equal(stateOf.size, N, 'every message listed once');
    assert.deepEqual([...stateOf.values()].filter((s) => s !== 'delivered'), []);

    // Every history, and what the SMSC received.
    const got = await getMany(env, ids);
    const flagged = new Set([...got.values()].filter((m) => m.events.some((e) => e.reason === 'possible_duplicate')).map((m) => toOf.get(m.id)));
    const s = smsc.seen;
    const never = [...idOf.keys()].filter((to) => !s.perDest.has(to));
    const strangers = [...s.perDest.keys()].filter((to) => !idOf.has(to));
    const twice = [...s.perDest].filter(([, n]) => n > 1).map(([to]) => to);
    const droppedTo = [...new Set(drop.dropped.map((r) => r.to))];
    console.log(`smsc_restart: N=${N} drop_at=${drop.at} unanswered_at_drop=${droppedTo.length} flagged=${flagged.size} ` +
      `received_twice=${twice.length} submits=${s.submits.length} binds=${s.binds} receipts=${s.receiptsSent} ` +
      `to_restart_ms=${tRestarted - t0} settle_ms=${tSettled - tRestarted}`);

    assert.deepEqual(never, [], 'destinations the SMSC never received');
    assert.deepEqual(strangers, [], 'submits to destinations never posted');
    assert.ok(droppedTo.length >= 1, 'the drop came from inside a submit_sm handler: at least that one unanswered');
    // Those the SMSC held unanswered went again after the restart, flagged.
    for (const to of droppedTo) {
      assert.ok(s.perDest.get(to) >= 2, `${to} unanswered at the drop and not resent`);
      assert.ok(flagged.has(to), `${to} resent with no possible_duplicate in its history: ${got.get(idOf.get(to)).events.map((e) => `${e.status}:${e.reason}`).join(' ')}`);
    }
    // Duplicates at the SMSC only among the flagged; and relais flags only
    // what its window held when the connection went (docs/smpp.md, Faults),
    // one window for one drop.
    assert.deepEqual(twice.filter((to) => !flagged.has(to)), [], 'received twice but not flagged');
    assert.ok(twice.every((to) => s.perDest.get(to) === 2), 'a destination received more than twice after one drop');
    assert.ok(flagged.size <= WINDOW, `${flagged.size} flagged possible_duplicate for one drop with window ${WINDOW}`);
    assert.equal(s.submits.length, N + twice.length);
    // A flagged message keeps its whole story: claimed, submitted (the
    // resend), delivered.
    for (const to of flagged) {
      const steps = got.get(idOf.get(to)).events.map((e) => `${e.status}:${e.reason}`);
      assert.ok(steps.includes('submitted:possible_duplicate') && steps.at(-1).startsWith('delivered:'), steps.join(' '));
    }
    // The SMSC's receipts all answered, none left for a later bind.
    await waitFor(() => smsc.unacked() === 0, { ms: 5000, what: 'every receipt acknowledged', describe: () => `(${smsc.unacked()} left)` });
    const m = await metrics(env.url);
    assert.equal(m.get('relais_route_up{route="smsc"}'), 1);
    assert.equal(m.get('relais_route_window_used{route="smsc"}'), 0);
    await env.stop();
  } finally {
    await env.cleanup();
    await smsc.stop().closed;
  }
});
