import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './ports.js';

/**
 * A MariaDB server of the test's own (own data directory and port, run as `mysql`), to be killed
 * and started again; the machine's shared server is never touched.
 */
export interface DisposableMariadb {
  /** `mysql://root@127.0.0.1:<port>/atea` (the database exists). */
  url: string;
  /** SIGKILL: the server dies mid-whatever, as in a crash. */
  kill(): Promise<void>;
  /** Starts the server again on the same data directory and waits until it answers. */
  start(): Promise<void>;
  /** Stops the server and deletes its files. */
  remove(): Promise<void>;
}

export async function startDisposableMariadb(): Promise<DisposableMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'atea-oauth-mariadb-'));
  const ids = spawnSync('id', ['-u', 'mysql'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'mysql'], { encoding: 'utf8' });
  chownSync(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
  const datadir = join(dir, 'data');
  const install = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', '--user=mysql', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const port = await freePort();
  let server: ChildProcess | undefined;

  const start = async () => {
    server = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        '--user=mysql',
        `--datadir=${datadir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mariadb.sock')}`,
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        `--log-error=${join(dir, 'error.log')}`,
        '--innodb-buffer-pool-size=32M',
        '--character-set-server=utf8mb4',
        '--default-time-zone=+00:00',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const c = await createConnection({ host: '127.0.0.1', port, user: 'root' });
        await c.query('CREATE DATABASE IF NOT EXISTS atea CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci');
        await c.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`own MariaDB did not start: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  const stopped = async (signal: NodeJS.Signals) => {
    const running = server;
    server = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `mysql://root@127.0.0.1:${port}/atea`,
    kill: () => stopped('SIGKILL'),
    start,
    async remove() {
      await stopped('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
