// `relais serve` as a user starts it: a fresh SQLite file, an ephemeral port,
// real HTTP, SIGTERM to stop. Waits on the log line and the health endpoint
// with bounded polls, never a sleep-and-hope.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { relais, spawnWaiting } from './lib.mjs';

function start(args) {
  const s = spawnWaiting(['serve', ...args]);
  return { ...s, listening: s.ready };
}

test('serve creates and migrates the store, answers health and JSON 404, stops on SIGTERM', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-e2e-'));
  const db = path.join(dir, 'relais.db');
  const s = start(['--db', db, '--port', '0']);
  try {
    const url = await s.listening;
    assert.ok(existsSync(db), 'the SQLite file exists');
    let r = await fetch(new URL('v1/health', url));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /application\/json/);
    const h = await r.json();
    assert.equal(h.status, 'ok');
    // The schema version is the last migration's number, NNNN_*.sql.
    const last = readdirSync(new URL('../../src/store/migrations/', import.meta.url))
      .filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort().pop();
    assert.deepEqual(h.store, { backend: 'sqlite', path: db, schema_version: Number(last.slice(0, 4)) });
    r = await fetch(new URL('v1/nothing-here', url));
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(),
      { error: { code: 'not_found', message: 'no route for GET /v1/nothing-here' } });
    r = await fetch(new URL('v1/health', url), { method: 'POST' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET');
    assert.equal((await r.json()).error.code, 'method_not_allowed');
    // The OpenAPI document served is the one in the repository, byte for byte.
    r = await fetch(new URL('openapi.json', url));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), readFileSync(new URL('../../src/api/openapi.json', import.meta.url), 'utf8'));
    // A body over http.max_body (1 MiB by default) is refused, whatever the route.
    r = await fetch(new URL('v1/health', url), { method: 'POST', body: Buffer.alloc((1 << 20) + 1) });
    assert.equal(r.status, 413);
    assert.deepEqual(await r.json(), { error: { code: 'body_too_large',
      message: 'the request body is over the 1048576-byte limit (http.max_body)' } });
  } finally {
    s.child.kill('SIGTERM');
  }
  const { code } = await s.exited;
  assert.equal(code, 0, s.log());
  assert.match(s.log(), /msg=stopping signal=SIGTERM/);
  assert.match(s.log(), /msg=stopped/);

  // A second start finds the schema in place: no migration runs again.
  const again = start(['--db', db, '--port', '0']);
  await again.listening;
  again.child.kill('SIGINT');
  assert.equal((await again.exited).code, 0);
  assert.doesNotMatch(again.log(), /msg=migrated/);
  rmSync(dir, { recursive: true, force: true });
});

test('serve refuses a bad configuration before opening anything', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-e2e-'));
  let r = relais(['serve', '--port', '70000', '--db', path.join(dir, 'x.db')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /http\.port = 70000: out of range/);
  assert.ok(!existsSync(path.join(dir, 'x.db')), 'nothing created');
  r = relais(['serve', '--listen', 'localhost-ish', '--port', '0', '--db', path.join(dir, 'y.db')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /http\.listen = 'localhost-ish': not an IPv4 or IPv6 address/);
  rmSync(dir, { recursive: true, force: true });
});
