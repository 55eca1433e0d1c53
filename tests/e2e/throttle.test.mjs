// Throttling as an SMSC does it and as a route's contract says it: the npm
// `smpp` package plays an SMSC that answers ESME_RTHROTTLED (0x58) when it is
// congested, then an SMSC that takes everything from a route capped by
// `throughput`. relais is driven through HTTP only; what it really sent is
// what the npm server saw, timed on arrival.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { census, getMany, npmSmsc, postBatch, startRelais, waitFor } from './lib.mjs';

const THROTTLED = 0x58; // ESME_RTHROTTLED, SMPP 3.4 §5.1.3
const WINDOW = 10;
// What may still reach the SMSC after it answered 0x58 at t, before relais
// has read that answer: only submits relais sent while the throttled one
// was still in its window (it sends nothing new once it has read the 0x58,
// until the pause ends). Responses come back in order on the connection, so
// every answer the SMSC gave before t was read before the 0x58: the submits
// arriving after t were all unanswered, together with the throttled one,
// when relais read it. The window holds them all: at most WINDOW - 1.
const IN_FLIGHT = WINDOW - 1;
// Slack for timestamps taken in two processes on a loaded machine: relais's
// loop clock may lag the wall by one loop turn, node may read a PDU late.
const SLACK_MS = 100;

// Bounded poll until the account's N messages are all delivered.
async function allDelivered(env, N) {
  let tally = {};
  await waitFor(async () => {
    tally = {};
    for (const st of (await census(env)).values()) tally[st] = (tally[st] || 0) + 1;
    return tally.delivered === N;
  }, { ms: 40000, everyMs: 200, what: `${N} messages delivered`, describe: () => JSON.stringify(tally) });
}

const dest = (i) => `+3361${String(2000000 + i).padStart(7, '0')}`;

test('an SMSC answering 0x58: relais pauses (1 s, doubling while it lasts), resends, and delivers every message once', { timeout: 60000 }, async () => {
  const N = 200;
  // The SMSC becomes congested at the 40th submit_sm and answers 0x58 to the
  // next CONGESTED ones: more than a window, so that the first submits after
  // the first pause are refused again and the pause must double.
  const CONGESTED = WINDOW + 3;
  let refused = 0;
  const smsc = await npmSmsc({
    decide: (rec) => {
      if (rec.seq >= 39 && refused < CONGESTED) { refused++; return THROTTLED; }
      return 0;
    },
  });
  const env = await startRelais(smsc.port, [`window = ${WINDOW}`]);
  try {
    const ids = await postBatch(env, Array.from({ length: N }, (_, i) => ({ to: dest(i), text: `throttle ${i}`, from: 'RELAIS' })));
    const idOf = new Map(ids.map((id, i) => [dest(i).slice(1), id]));
    await allDelivered(env, N);

    // What the SMSC saw: each destination accepted exactly once (a 0x58 is a
    // refusal, so resending it is no duplicate), and every refused one
    // reached it again.
    const s = smsc.seen;
    assert.equal(refused, CONGESTED);
    for (const to of idOf.keys()) assert.equal(s.okPerDest.get(to), 1, `${to} accepted ${s.okPerDest.get(to)} times`);
    assert.equal(s.okPerDest.size, N);
    const throttledTo = new Set(s.submits.filter((r) => r.status === THROTTLED).map((r) => r.to));
    for (const to of throttledTo) assert.ok(s.perDest.get(to) >= 2, `${to} refused and never sent again`);

    // The pauses. Episode 1 starts with the first 0x58: a step of 1 s with
    // "equal jitter" (src/smpp/smpp_rate.h: between half and all of the
    // step), so nothing new for 500 ms. Every submit_sm sent when the pause
    // ends is refused again (the SMSC is still congested): episode 2 starts
    // with the first 0x58 answered after the first pause, with no success in
    // between, so its step has doubled to 2 s: nothing new for 1 s.
    const refusals = s.submits.filter((r) => r.status === THROTTLED);
    const t1 = refusals[0].answeredAt;
    const second = refusals.find((r) => r.at > t1 + 500 - SLACK_MS);
    assert.ok(second, `no refusal after the first pause: ${refusals.map((r) => Math.round(r.at - t1))}`);
    const t2 = second.answeredAt;
    const arrivals = (from, ms) => s.submits.filter((r) => r.at > from && r.at < from + ms).length;
    const early1 = arrivals(t1, 500 - SLACK_MS);
    const early2 = arrivals(t2, 1000 - SLACK_MS);
    // The longest silence at the SMSC after each 0x58: the pause as it saw it.
    const silence = (from, to) => {
      const at = s.submits.map((r) => r.at).filter((a) => a > from && a <= to);
      return Math.round(Math.max(0, ...at.map((a, i) => a - (i ? at[i - 1] : from))));
    };
    console.log(`throttle: refused=${refused} arrivals_in_pause=${early1},${early2} ` +
      `silence_ms=${silence(t1, second.at)},${silence(t2, t2 + 2500)}`);
    assert.ok(early1 <= IN_FLIGHT, `${early1} submit_sm within ${500 - SLACK_MS} ms of the first 0x58`);
    assert.ok(early2 <= IN_FLIGHT, `${early2} submit_sm within ${1000 - SLACK_MS} ms of the 0x58 after the first pause`);

    // The history of a throttled message says why it left later than the
    // others: the API is all a client has to explain a late SMS.
    const got = await getMany(env, [...throttledTo].map((to) => idOf.get(to)));
    const silent = [...got.values()].filter((m) => !m.events.some((e) => /throttl/i.test(`${e.reason} ${e.detail || ''}`)));
    await env.stop();
    assert.deepEqual(silent.map((m) => `${m.id}: ${m.events.map((e) => `${e.status}:${e.reason}`).join(' ')}`), [],
      'throttled messages whose history does not show the throttling and the resend');
  } finally {
    await env.cleanup();
    await smsc.stop().closed;
  }
});

test('throughput = 50: the SMSC never sees more than the token bucket allows', { timeout: 60000 }, async () => {
  const N = 250;
  const RATE = 50;
  // The route's bucket (src/smpp/smpp_session.c: smpp_rate_init with burst
  // throughput / 10, at least 1; src/smpp/smpp_rate.c refills RATE tokens a
  // second, exact to the millisecond, and starts full). So in any interval of
  // W ms relais sends at most BURST + RATE·W/1000; an arrival can trail its
  // send by up to SLACK_MS, so over arrival times the bound is
  // BURST + RATE·(W + SLACK_MS)/1000, and N messages span at least
  // (N - BURST)/RATE seconds less SLACK_MS.
  const BURST = Math.max(1, Math.floor(RATE / 10));
  const smsc = await npmSmsc();
  const env = await startRelais(smsc.port, [`window = ${WINDOW}`, `throughput = ${RATE}`]);
  try {
    const t0 = performance.now();
    await postBatch(env, Array.from({ length: N }, (_, i) => ({ to: dest(i), text: `cap ${i}`, from: 'RELAIS' })));
    await waitFor(() => smsc.seen.okPerDest.size === N && smsc.unacked() === 0, {
      ms: 40000, everyMs: 50, what: `${N} accepted at the SMSC`, describe: () => `${smsc.seen.okPerDest.size} accepted`,
    });
    const at = smsc.seen.submits.map((r) => r.at).sort((a, b) => a - b);
    assert.equal(at.length, N, 'one submit_sm per message');
    const span = at[N - 1] - at[0];
    // Sliding windows of W ms, one starting at each arrival.
    const worst = {};
    for (const W of [200, 1000, 3000]) {
      let max = 0;
      for (let i = 0, j = 0; i < N; i++) {
        while (j < N && at[j] < at[i] + W) j++;
        max = Math.max(max, j - i);
      }
      worst[W] = max;
    }
    console.log(`throughput: cap=${RATE}/s burst=${BURST} n=${N} span_ms=${Math.round(span)} ` +
      `mean_rate=${((N - 1) / (span / 1000)).toFixed(1)}/s worst=${JSON.stringify(worst)} total_ms=${Math.round(performance.now() - t0)}`);
    for (const [W, max] of Object.entries(worst)) {
      const bound = BURST + Math.floor((RATE * (Number(W) + SLACK_MS)) / 1000);
      assert.ok(max <= bound, `${max} submit_sm within ${W} ms, the bucket allows ${bound}`);
    }
    assert.ok(span >= ((N - BURST) / RATE) * 1000 - SLACK_MS, `${N} submit_sm in ${Math.round(span)} ms`);
    // And the cap is a cap, not a crawl: the mean rate is not far below it.
    assert.ok((N - 1) / (span / 1000) > RATE * 0.7, `mean ${((N - 1) / (span / 1000)).toFixed(1)}/s for a cap of ${RATE}/s`);
    // A receipt is committed before its deliver_sm is answered, so every
    // message acknowledged at the SMSC is delivered in the store already.
    const states = await census(env);
    assert.equal(states.size, N);
    assert.deepEqual([...states.values()].filter((st) => st !== 'delivered'), []);
    await env.stop();
  } finally {
    await env.cleanup();
    await smsc.stop().closed;
  }
});
