#!/usr/bin/env node
// A 3-node MariaDB Galera cluster on loopback under a temp dir, for the Galera e2e suite and the
// scale benchmark. Node N listens on 341N (SQL), 451N (group communication), 452N (IST) and 453N
// (rsync SST); it never touches the shared server on 3306 or its configuration.
//
//   import { startCluster } from './cluster.mjs';
//   const cluster = await startCluster();      // bootstraps node 1, joins 2 and 3, waits for Synced
//   cluster.kill(2);                           // kill -9
//   await cluster.waitClusterSize(1, 2);       // node 1 has evicted it (a primary component of two)
//   await cluster.restart(2);                  // --wsrep-recover, then IST from --wsrep-start-position
//   await cluster.stop();
//
// As a command: `node test/galera/cluster.mjs` starts it, prints the node URLs and stops it on Ctrl-C.
// GALERA_KEEP_DIR=1 keeps the temp dir (the nodes' data and error logs) when the cluster stops.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const MARIADBD = '/usr/sbin/mariadbd';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why a Galera cluster cannot start on this machine, or null when it can. */
export function galeraMissing() {
  if (!existsSync(GALERA_PROVIDER)) return `${GALERA_PROVIDER} is missing (apt-get install galera-4)`;
  if (!existsSync(MARIADBD)) return `${MARIADBD} is missing (apt-get install mariadb-server)`;
  try {
    execFileSync('rsync', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'rsync is missing (apt-get install rsync)';
  }
  return null;
}

const NODES = [1, 2, 3];
const port = (n) => 3410 + n;

function config(dir, n) {
  const gcomm = NODES.map((m) => `127.0.0.1:${4510 + m}`).join(',');
  return `[mysqld]
user=mysql
datadir=${dir}/n${n}
port=${port(n)}
bind-address=127.0.0.1
socket=${dir}/run/n${n}.sock
pid-file=${dir}/run/n${n}.pid
log-error=${dir}/log/n${n}.err
skip-name-resolve
character-set-server=utf8mb4
innodb_buffer_pool_size=128M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
max_connections=300
wsrep_on=ON
wsrep_provider=${GALERA_PROVIDER}
wsrep_cluster_name=atea-test
wsrep_cluster_address=gcomm://${gcomm}
wsrep_node_name=n${n}
wsrep_node_address=127.0.0.1:${4510 + n}
wsrep_node_incoming_address=127.0.0.1:${port(n)}
wsrep_provider_options="base_host=127.0.0.1;base_port=${4510 + n};gmcast.listen_addr=tcp://127.0.0.1:${4510 + n};ist.recv_addr=127.0.0.1:${4520 + n};gcache.size=128M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:${4530 + n}
wsrep_slave_threads=2
`;
}

/**
 * Starts the cluster and resolves once every node is Synced and ready. `log` receives progress
 * lines (default: none).
 */
export async function startCluster({ log = () => {}, timeoutMs = 120_000 } = {}) {
  const missing = galeraMissing();
  if (missing) throw new Error(`Galera cannot start: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'atea-galera-'));
  chmodSync(dir, 0o755);
  const { uid, gid } = mysqlIds();
  for (const sub of ['run', 'log', ...NODES.map((n) => `n${n}`)]) {
    mkdirSync(join(dir, sub));
    chownSync(join(dir, sub), uid, gid);
  }
  for (const n of NODES) writeFileSync(join(dir, `n${n}.cnf`), config(dir, n));
  const processes = new Map();
  const cluster = {
    dir,
    /** mysql:// URL of node n (root without password, over TCP), with the given database. */
    url: (n, database = '') => `mysql://root@127.0.0.1:${port(n)}/${database}`,
    port,
    /** Kills node n with SIGKILL and waits until it is gone. */
    async kill(n) {
      const child = processes.get(n);
      if (!child) return;
      processes.delete(n);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    /** Restarts a killed node from its recovered position (IST), and waits until it is Synced. */
    async restart(n) {
      const position = recoverPosition(dir, n);
      log(`galera: node ${n} recovered position ${position}`);
      start(n, [`--wsrep-start-position=${position}`]);
      await waitSynced(n, timeoutMs);
    },
    /** Stops every node (SIGTERM, then SIGKILL after 20 s) and removes the temp dir. */
    async stop() {
      await Promise.all(
        [...processes.entries()].map(async ([n, child]) => {
          processes.delete(n);
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      process.off('exit', killAll);
      if (process.env.GALERA_KEEP_DIR) log(`galera: kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
    /** Waits until node n is in a primary component of `size` nodes (after a kill: the node is evicted). */
    async waitClusterSize(n, size, ms = timeoutMs) {
      const deadline = Date.now() + ms;
      let last = 'no answer';
      while (Date.now() < deadline) {
        try {
          const s = await cluster.status(n);
          last = `cluster size ${s.cluster_size}, ${s.local_state_comment}, ready=${s.ready}`;
          if (Number(s.cluster_size) === size && s.ready === 'ON') return;
        } catch (error) {
          last = error.message;
        }
        await sleep(250);
      }
      throw new Error(`galera: node ${n} not in a primary component of ${size} after ${ms} ms (${last})`);
    },
    /** wsrep status of node n (local_state_comment, ready, cluster_size). */
    async status(n) {
      const connection = await createConnection({ host: '127.0.0.1', port: port(n), user: 'root', connectTimeout: 2000 });
      try {
        const [rows] = await connection.query(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_ready', 'wsrep_cluster_size')",
        );
        return Object.fromEntries(rows.map((r) => [r.Variable_name.replace(/^wsrep_/, ''), r.Value]));
      } finally {
        await connection.end();
      }
    },
  };
  const killAll = () => {
    for (const child of processes.values()) child.kill('SIGKILL');
  };
  process.on('exit', killAll);

  function start(n, extra = []) {
    const child = spawn(MARIADBD, [`--defaults-file=${join(dir, `n${n}.cnf`)}`, ...extra], { stdio: 'ignore' });
    processes.set(n, child);
    child.once('exit', () => {
      if (processes.get(n) === child) processes.delete(n);
    });
  }

  async function waitSynced(n, ms) {
    const deadline = Date.now() + ms;
    let last = 'not started';
    while (Date.now() < deadline) {
      if (!processes.has(n)) throw new Error(`galera: node ${n} exited while starting (see ${dir}/log/n${n}.err)`);
      try {
        const s = await cluster.status(n);
        last = `${s.local_state_comment}, ready=${s.ready}`;
        if (s.local_state_comment === 'Synced' && s.ready === 'ON') {
          log(`galera: node ${n} Synced (cluster size ${s.cluster_size})`);
          return;
        }
      } catch (error) {
        last = error.message;
      }
      await sleep(250);
    }
    throw new Error(`galera: node ${n} not Synced after ${ms} ms (${last}); see ${dir}/log/n${n}.err`);
  }

  try {
    execFileSync(
      'mariadb-install-db',
      [`--defaults-file=${join(dir, 'n1.cnf')}`, '--user=mysql', `--datadir=${dir}/n1`, '--auth-root-authentication-method=normal', '--skip-test-db'],
      { stdio: 'ignore' },
    );
    start(1, ['--wsrep-new-cluster']);
    // root over TCP without a password, made through node 1's socket (replicated to the joiners by SST).
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const c = await createConnection({ socketPath: `${dir}/run/n1.sock`, user: 'root' });
        await c.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'");
        await c.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
        await c.end();
        break;
      } catch (error) {
        if (!processes.has(1)) throw new Error(`galera: node 1 exited while starting (see ${dir}/log/n1.err)`);
        if (Date.now() > deadline) throw error;
        await sleep(250);
      }
    }
    await waitSynced(1, timeoutMs);
    // Joiners one at a time: each takes a full rsync SST from a donor.
    for (const n of [2, 3]) {
      start(n);
      await waitSynced(n, timeoutMs);
    }
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}

/** `mariadbd --wsrep-recover` of a killed node: the uuid:seqno it last committed. */
function recoverPosition(dir, n) {
  const errorLog = join(dir, 'log', `n${n}.err`);
  const before = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').length : 0;
  execFileSync(MARIADBD, [`--defaults-file=${join(dir, `n${n}.cnf`)}`, '--wsrep-recover'], { stdio: 'ignore' });
  const recovered = [...readFileSync(errorLog, 'utf8').slice(before).matchAll(/WSREP: Recovered position: ([0-9a-f-]+:-?\d+)/g)];
  if (recovered.length === 0) throw new Error(`galera: --wsrep-recover of node ${n} printed no position (see ${errorLog})`);
  return recovered[recovered.length - 1][1];
}

function mysqlIds() {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mysql:'));
  if (!line) throw new Error('galera: no mysql system user');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const cluster = await startCluster({ log: (line) => console.log(line) });
  console.log(`galera: 3 nodes Synced in ${((Date.now() - started) / 1000).toFixed(1)} s under ${cluster.dir}`);
  for (const n of NODES) console.log(`  node ${n}: ${cluster.url(n)}`);
  if (process.argv.includes('--check-restart')) {
    await cluster.kill(2);
    const t = Date.now();
    await cluster.restart(2);
    console.log(`galera: node 2 killed and back by IST in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    await cluster.stop();
  } else {
    console.log('Ctrl-C stops it.');
    process.once('SIGINT', () => cluster.stop().then(() => process.exit(0)));
  }
}
