#!/usr/bin/env node
// Builds dist/ (npm run build) only when a source or build-configuration file changed since the last
// build, so that `npm start` and `npm run cli` start at once when the build is current. A file or
// directory newer than dist/.build-stamp, or no stamp at all, means stale (a deleted file changes its
// directory's time). `--check` only reports: exit 1 when stale; `--stamp` (npm's postbuild) records a build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['apps', 'libs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];

/** The newest modification time under `path` (files and directories), or 0 when it is absent. */
function newest(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stats.mtimeMs);
}

if (process.argv.includes('--stamp')) {
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const built = newest(stamp);
const changed = Math.max(...inputs.map((input) => newest(join(root, input))));
const stale = built === 0 || changed > built;
if (process.argv.includes('--check')) process.exit(stale ? 1 : 0);
if (!stale) process.exit(0);

process.stderr.write('Sources changed since the last build: building (npm run build)\n');
const started = Date.now();
const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The build covers what existed when it started: a file saved during the build makes the next start build again.
utimesSync(stamp, new Date(started), new Date(started));
process.stderr.write(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
