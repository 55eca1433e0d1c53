// Helpers for the end-to-end tests: run the real binary as a user would.
import { spawnSync } from 'node:child_process';
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
