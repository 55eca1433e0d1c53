// Routes as the API shows them and as they decide what a message needs:
// `relais serve` with two [route NAME] sections, one bound to an SMSC played
// by the npm `smpp` package and serving +33 with a default sender, one
// serving +32 without a default sender and pointing at a port where nothing
// listens (so it stays down). Everything else is HTTP. Expected values come
// from the configuration written here.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync, readFileSync } from 'node:fs';
import { npmSmsc, spawnWaiting, startRelais, waitFor } from './lib.mjs';

// A TCP port nothing listens on: bound, then closed.
async function closedPort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function setup() {
  const smsc = await npmSmsc();
  const down = await closedPort();
  const env = await startRelais(smsc.port, [
    'prefixes = +33', 'default_sender = SHOP',
    '[route be]', 'host = 127.0.0.1', `port = ${down}`, 'system_id = belgium', 'password = s3cr3t',
    'prefixes = +32', 'reconnect_min = 100ms',
  ]);
  env.down = down;
  env.smsc = smsc;
  const done = env.cleanup;
  env.cleanup = async () => {
    await done();
    await smsc.stop().closed;
  };
  return env;
}

const post = (env, p, body) => env.api(p, { method: 'POST', body: JSON.stringify(body) });

// Stops a serve started here as an operator does (SIGTERM): it must exit 0.
async function stopServe(s) {
  s.child.kill('SIGTERM');
  assert.deepEqual(await s.exited, { code: 0, sig: null }, s.log().slice(-2000));
}

test('a message without from is refused at once when no route serving it has a default_sender', async () => {
  const env = await setup();
  try {
    // +32: served by route be alone, which has no default sender.
    let r = await post(env, 'v1/messages', { to: '+32470123456', text: 'Bonjour' });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.deepEqual(r.body.error, { code: 'invalid_sender', field: 'from',
      message: 'from is required: no route serving +32470123456 has a default_sender (tried be)' });
    // +44: no route serves it at all.
    r = await post(env, 'v1/messages', { to: '+447400123456', text: 'Hello' });
    assert.deepEqual([r.status, r.body.error.code, r.body.error.field], [422, 'invalid_sender', 'from']);
    assert.match(r.body.error.message, /no route serves \+447400123456/);
    // Nothing was stored for either.
    assert.deepEqual((await env.api('v1/messages')).body.messages, []);
    // With a sender of its own, +32 is accepted (it waits for its route).
    r = await post(env, 'v1/messages', { to: '+32470123456', text: 'Bonjour', from: 'SHOP' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    // +33 without from: route smsc gives SHOP, and it is delivered.
    r = await post(env, 'v1/messages', { to: '0612345678', text: 'Votre colis arrive' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.id;
    await waitFor(async () => (await env.api(`v1/messages/${id}`)).body.status === 'delivered',
      { what: 'the +33 message delivered' });
    // A batch refuses such an item alone, by index.
    r = await post(env, 'v1/messages/batch', { messages: [
      { to: '+33612345679', text: 'un' }, { to: '+32470123457', text: 'deux' }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.accepted, r.body.rejected], [1, 1]);
    assert.deepEqual([r.body.results[1].index, r.body.results[1].error.code, r.body.results[1].error.field],
      [1, 'invalid_sender', 'from']);
    // A campaign without a sender: refused when a typed number has no route
    // that could give one; accepted when every one has.
    r = await post(env, 'v1/campaigns', { name: 'BE', category: 'transactional', text: 'Bonjour',
      audience: { numbers: ['+32470123456'] } });
    assert.deepEqual([r.status, r.body.error && r.body.error.code, r.body.error && r.body.error.field],
      [422, 'invalid_sender', 'sender']);
    assert.match(r.body.error.message, /^sender is required: no route serving \+32470123456 has a default_sender/);
    r = await post(env, 'v1/campaigns', { name: 'FR', category: 'transactional', text: 'Bonjour',
      audience: { numbers: ['0612345670'] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  } finally {
    await env.cleanup();
  }
});

test('GET /v1/routes: the configured routes with their state; a route taken out of the file stays, inactive', async () => {
  const env = await setup();
  let serve = null; // a serve started again here
  try {
    const byName = async () => {
      const r = await env.api('v1/routes');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.routes;
    };
    // smsc binds to the npm SMSC; be never connects.
    await waitFor(async () => (await byName()).find((x) => x.name === 'smsc').up === true, { what: 'smsc up' });
    let routes = await byName();
    assert.deepEqual(routes.map((x) => x.name), ['be', 'smsc']);
    const [be, smsc] = routes;
    assert.deepEqual({ ...be, first_seen: 0, updated_at: 0 }, {
      name: 'be', kind: 'smpp', host: '127.0.0.1', port: env.down, system_id: 'belgium', prefixes: ['+32'],
      default_sender: null, active: true, up: false, first_seen: 0, updated_at: 0,
    });
    assert.deepEqual({ ...smsc, first_seen: 0, updated_at: 0 }, {
      name: 'smsc', kind: 'smpp', host: '127.0.0.1', port: env.smsc.port, system_id: 'relais', prefixes: ['+33'],
      default_sender: 'SHOP', active: true, up: true, first_seen: 0, updated_at: 0,
    });
    assert.equal(be.first_seen, be.updated_at);
    // The password is in the file, never in the store or the API.
    const raw = JSON.stringify(await env.api('v1/routes'));
    assert.ok(!raw.includes('s3cr3t') && !raw.includes('password'), raw);
    assert.equal((await fetch(new URL('v1/routes', env.url))).status, 401);

    // The operator edits relais.conf: route be removed, smsc serves +262 too.
    await env.stop();
    const conf = readFileSync(env.conf, 'utf8');
    writeFileSync(env.conf, conf.slice(0, conf.indexOf('[route be]')).replace('prefixes = +33', 'prefixes = +33,+262'));
    serve = spawnWaiting(['serve', '--config', env.conf, '--port', '0']);
    env.url = await serve.ready;
    routes = await byName();
    assert.deepEqual(routes.map((x) => [x.name, x.active]), [['be', false], ['smsc', true]]);
    assert.equal(routes[0].up, null, 'nothing runs an inactive route');
    assert.equal(routes[0].first_seen, be.first_seen);
    assert.ok(routes[0].updated_at > be.updated_at, 'marked inactive now');
    assert.deepEqual(routes[1].prefixes, ['+33', '+262']);
    assert.equal(routes[1].first_seen, smsc.first_seen);
    assert.ok(routes[1].updated_at > smsc.updated_at);
    // Started again with the same file: nothing changed, nothing moves.
    await stopServe(serve);
    serve = spawnWaiting(['serve', '--config', env.conf, '--port', '0']);
    env.url = await serve.ready;
    const strip = (list) => list.map(({ up, ...x }) => x);
    assert.deepEqual(strip(await byName()), strip(routes));
    await stopServe(serve);
  } finally {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    await env.cleanup();
  }
});
