// Shared helpers for system tests: run the real binary (the sanitizer
// build when present) against a fresh temporary data directory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
export const bin = existsSync(join(root, 'build/asan/cairn'))
  ? join(root, 'build/asan/cairn')
  : join(root, 'build/cairn');

const supp = join(root, 'tests/lsan.supp');
const env = {
  ...process.env,
  CAIRN_NO_PROGRESS: '1',
  LSAN_OPTIONS: existsSync(supp) ? `suppressions=${supp}:print_suppressions=0` : '',
};
delete env.CAIRN_DATA;

// Runs `cairn ...args`; returns {code, stdout, stderr}.
export function cairn(args, opts = {}) {
  const r = spawnSync(bin, args, {
    cwd: opts.cwd ?? root,
    input: opts.input,
    env: { ...env, ...(opts.env ?? {}) },
    encoding: 'utf8',
    timeout: opts.timeout ?? 120000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Runs and parses --json output, asserting exit 0.
export function cairnJson(args, opts = {}) {
  const r = cairn([...args, '--json'], opts);
  if (r.code !== 0) {
    throw new Error(`cairn ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

// A temporary directory removed when the test ends.
export function tempDir(t, prefix = 'cairn-test-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
