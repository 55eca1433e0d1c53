// Helpers for the end-to-end tests: run the real binary as a user would.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.RELAIS_BIN || path.join(root, 'build/relais');

// Runs relais with args; returns {code, stdout, stderr, lines (parsed JSON lines)}.
export function relais(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', input: opts.input, cwd: opts.cwd });
  if (r.error) throw r.error;
  const lines = [];
  for (const l of r.stdout.split('\n')) {
    if (l.startsWith('{')) lines.push(JSON.parse(l));
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines };
}

// Starts `relais ...args` in the background; ready resolves with the first
// capture of re in its log (by default the URL of the listening line), and
// rejects if the process exits first or 10 s pass. Never a sleep-and-hope.
export function spawnWaiting(args, re = /msg=listening url=(\S+)/, what = 'listening line') {
  const child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} in 10 s:\n${log}`)), 10000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = re.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)); });
  });
  ready.catch(() => {});
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return { child, ready, exited, log: () => log };
}

// A whole pipeline as a user sets it up: `relais smsc-sim` (with simArgs),
// a relais.conf with a route to it and free messages, an API key, and
// `relais serve`. Returns {url, auth (headers), serve, sim, conf, cleanup()}.
export async function startPipeline(simArgs = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'relais-dsp-'));
  const sim = spawnWaiting(['smsc-sim', '--port', '0', ...simArgs], /msg=listening url=smpp:\/\/\S+:(\d+)/, 'sim listening');
  const port = await sim.ready;
  const conf = path.join(dir, 'relais.conf');
  writeFileSync(conf, [
    '[store]', `path = ${path.join(dir, 'relais.db')}`, 'synchronous = normal',
    '[billing]', 'default_price = 0', 'prices = ',
    '[route sim]', 'host = 127.0.0.1', `port = ${port}`, 'system_id = relais', 'password = relais',
    'reconnect_min = 100ms', '',
  ].join('\n'));
  const k = relais(['keys', 'create', '--account', 'acme', '--config', conf]);
  assert.equal(k.code, 0, k.stderr);
  const key = k.stdout.split('\n')[0].trim();
  const serve = spawnWaiting(['serve', '--config', conf, '--port', '0'], /msg=listening url=(\S+)/, 'serve listening');
  const url = await serve.ready;
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const env = { url, auth, serve, sim, conf };
  env.cleanup = async () => {
    for (const p of [env.serve, sim]) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all([env.serve.exited, sim.exited]);
    rmSync(dir, { recursive: true, force: true });
  };
  return env;
}
