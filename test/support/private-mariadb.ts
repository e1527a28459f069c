import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './ports.js';

const MARIADBD = '/usr/sbin/mariadbd';

/** True when this machine can start a MariaDB server of a test's own (the binaries are installed). */
export function canStartMariadb(): boolean {
  return existsSync(MARIADBD) && spawnSync('sh', ['-c', 'command -v mariadb-install-db'], { stdio: 'ignore' }).status === 0;
}

/**
 * A MariaDB server of one test's own: its own data directory under the temp dir, its own port, run
 * as the `mysql` user. Fault tests kill and restart it; the machine's shared server is never touched.
 */
export class PrivateMariadb {
  private process?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateMariadb> {
    const dir = mkdtempSync(join(tmpdir(), 'atea-mariadb-'));
    chownSync(dir, uidOf('mysql'), gidOf('mysql'));
    const server = new PrivateMariadb(dir, await freePort());
    writeFileSync(
      server.configFile,
      [
        '[mysqld]',
        'user=mysql',
        `datadir=${join(dir, 'data')}`,
        `port=${server.port}`,
        'bind-address=127.0.0.1',
        `socket=${join(dir, 'mysqld.sock')}`,
        `pid-file=${join(dir, 'mysqld.pid')}`,
        `log-error=${join(dir, 'error.log')}`,
        'skip-name-resolve',
        'character-set-server=utf8mb4',
        'innodb_buffer_pool_size=32M',
        'innodb_log_file_size=16M',
        '',
      ].join('\n'),
    );
    const install = spawnSync(
      'mariadb-install-db',
      [`--defaults-file=${server.configFile}`, '--user=mysql', '--auth-root-authentication-method=normal', '--skip-test-db'],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
    await server.start();
    const admin = await createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
    await admin.query('CREATE DATABASE atea CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci');
    await admin.end();
    return server;
  }

  private get configFile(): string {
    return join(this.dir, 'my.cnf');
  }

  /** `mysql://` URL of the test's database on this server. */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/atea`;
  }

  /** Starts the server (again) on its data directory and waits until it answers. */
  async start(): Promise<void> {
    this.process = spawn(MARIADBD, [`--defaults-file=${this.configFile}`], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const c = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1000 });
        await c.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`MariaDB on port ${this.port} did not start: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** SIGKILL: the server dies mid-whatever, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP / SIGCONT: the server stalls with its connections open (a hung host, a network black hole). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}

function gidOf(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}
