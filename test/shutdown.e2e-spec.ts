import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, dialects, testKeyMaterial, type Dialect } from './support/test-app.js';
import { entraUser } from './support/scim-client.js';
import { freePort } from './support/ports.js';

const root = resolve(import.meta.dirname, '..');
const apiMain = join(root, 'dist/apps/api/src/main.js');
const cliMain = join(root, 'dist/apps/cli/src/main.js');

/** GET over a new connection: the status, or the connection error's code (ECONNREFUSED once the port is closed). */
async function probe(port: number, path: string): Promise<number | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close' } });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    return ((error as { cause?: { code?: string } }).cause?.code ?? 'error') as string;
  }
}

/** Polls `probe` until `accept` holds for its answer (bounded: the test fails otherwise). */
let debug: (() => string) | undefined;
async function until(port: number, path: string, accept: (answer: number | string) => boolean, what: string, seconds = 30): Promise<number | string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const answer = await probe(port, path);
    if (accept(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`${what}: last answer ${answer}${debug ? `\n${debug()}` : ''}`);
    await sleep(50);
  }
}

/** The built service, started as an operator starts it: in a directory with a `.env`, plus the environment. */
class Service {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(cwd: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [apiMain], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** An upload whose body is sent in two halves: a request in flight for as long as the test wants. */
class SlowUpload {
  private readonly socket: Socket;
  private readonly body: Buffer;
  private received = '';
  readonly response: Promise<string>;

  constructor(port: number, token: string, body: unknown) {
    this.body = Buffer.from(JSON.stringify(body));
    this.socket = connect(port, '127.0.0.1');
    this.response = new Promise((done, fail) => {
      this.socket.on('data', (chunk) => (this.received += chunk.toString()));
      this.socket.on('end', () => done(this.received));
      this.socket.on('close', () => done(this.received));
      this.socket.on('error', fail);
    });
    this.socket.write(
      `POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/scim+json\r\nContent-Length: ${this.body.length}\r\n\r\n`,
    );
    this.socket.write(this.body.subarray(0, this.body.length >> 1));
  }

  finish(): void {
    this.socket.write(this.body.subarray(this.body.length >> 1));
  }
}

/** MySQL runs the cluster (WEB_CONCURRENCY workers); the SQLite default one process. */
const cases = dialects().map((dialect: Dialect) => ({ dialect, workers: dialect === 'mysql' ? 2 : 1 }));

describe.each(cases)('SIGTERM on $dialect with $workers process(es)', ({ dialect, workers }) => {
  let dir: string;
  let service: Service | undefined;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(() => {
    // The test runs the service as built: build it first when the sources changed.
    execFileSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs')], { cwd: root, stdio: 'inherit' });
  }, 600_000);
  afterEach(async () => {
    service?.stop();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails readiness at once, finishes the request in flight, refuses new connections, then exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'atea-shutdown-'));
    const database = dialect === 'sqlite' ? { url: 'sqlite:./from-dotenv.sqlite' } : await createTestDatabase('mysql');
    drop = 'drop' in database ? database.drop : undefined;
    const port = await freePort();
    // The database comes from .env (for the CLI and the service); PORT is in both, and the environment wins.
    writeFileSync(join(dir, '.env'), `DATABASE_URL=${database.url}\nPORT=1\nLOG_LEVEL=log\n`);
    const env: Record<string, string> = {
      ...(dialect === 'mysql' ? { ...testKeyMaterial() } : {}),
      PORT: String(port),
      METRICS_PORT: '0',
      LOG_FORMAT: 'json',
      WEB_CONCURRENCY: String(workers),
      SHUTDOWN_DELAY_SECONDS: '3',
      SHUTDOWN_TIMEOUT_SECONDS: '60',
    };
    const cli = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [cliMain, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' }));
    cli('migrate');
    if (dialect === 'sqlite') expect(existsSync(join(dir, 'from-dotenv.sqlite'))).toBe(true);
    cli('tenant:create', '--slug', 'drain', '--name', 'Drain');
    const { token } = cli('scim-token:create', '--tenant', 'drain');

    service = new Service(dir, env);
    debug = () => service!.output.join('');
    await until(port, '/health/ready', (a) => a === 200, 'the service did not start', 120);
    // Every worker is up (a cluster's first worker answers before the others listen).
    const listening = () => service!.output.join('').match(/"msg":"Server listening at /g)?.length ?? 0;
    while (listening() < workers) await sleep(100);

    // The metrics endpoint of the process (the primary's, summed over its workers, in a cluster).
    const announced = /Prometheus metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(service.output.join(''));
    expect(announced).not.toBeNull();
    const scraped = await fetch(announced![1]);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^http_requests_total\{method="GET",route="\/health\/ready",status="200"\} [1-9]/m);

    const upload = new SlowUpload(port, token, entraUser(`drain-${Date.now()}@contoso.com`));
    await sleep(200); // the request is in flight: headers and half of its body are in
    service.signal('SIGTERM');

    // Readiness fails at once while the service still answers (the load balancer's grace period).
    expect(await until(port, '/health/ready', (a) => a !== 200, 'readiness kept answering 200')).toBe(503);
    expect(await probe(port, '/health/live')).toBe(200);
    // Then the port closes: new connections are refused. (A cluster primary sometimes keeps the port
    // until its last worker exits, resetting each new connection: no new request is served either way.)
    await until(port, '/health/live', (a) => a === 'ECONNREFUSED' || (workers > 1 && a === 'ECONNRESET'), 'the port stayed open');

    // The request in flight still completes.
    upload.finish();
    const response = await upload.response;
    expect(response, `no answer to the request in flight; the service wrote:\n${service.output.join('')}`).toMatch(/^HTTP\/1\.1 201 /);
    expect(await service.exited).toBe(0);

    const lines = service.output.join('').split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.some((l) => /"msg":"SIGTERM: readiness fails/.test(l))).toBe(true);
    // Drained, not cut: no connection had to be closed at SHUTDOWN_TIMEOUT_SECONDS.
    expect(lines.some((l) => /Requests still running after/.test(l))).toBe(false);
  }, 240_000);
});
