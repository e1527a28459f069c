// The built service as the benchmarks run it: its CLI (secrets, migrations, tenants, tokens) and
// the app itself on a free loopback port, started, waited for and stopped.
import {execFile, spawn} from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import {fileURLToPath} from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST = path.join(ROOT, "dist");

/**
 * The Node flags `npm start` runs the service with (package.json's start script) in a checkout, so
 * that each benchmark measures the service as it runs in production.
 */
export function startFlags(root) {
    const start = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts.start;
    return start.split(/\s+/).filter((word) => word.startsWith("--"));
}
export const START_FLAGS = startFlags(ROOT);

/**
 * A tenant's rate limit and per-tenant line, lifted: a benchmark that sends one tenant's requests as
 * fast as they are answered measures the service's capacity, not the limits that protect it.
 */
export const LIFTED_TENANT_LIMITS = {SCIM_RATE_LIMIT_PER_SECOND: "100000", SCIM_RATE_LIMIT_BURST: "100000", SCIM_CONCURRENCY_PER_TENANT: "1000"};

export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const {port} = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/** Runs the CLI of the build in `dist` with `args`; resolves with its stdout, rejects when it fails. */
export function cli(env, args, {dist = DIST, input = ""} = {}) {
    return new Promise((resolve, reject) => {
        const child = execFile(process.execPath, [path.join(dist, "apps/cli/src/main.js"), ...args], {cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024},
            (err, stdout, stderr) => (err ? reject(new Error(`cli ${args.join(" ")} failed (exit ${err.code}): ${(stderr || stdout).trim()}`)) : resolve(stdout)));
        child.stdin.end(input);
    });
}

/** The CLI's answer: the last line of its output that is a JSON object (log lines may come first). */
export async function cliJson(env, args, options) {
    const line = (await cli(env, args, options)).trim().split("\n").filter((l) => l.startsWith("{")).pop();
    if (line === undefined) throw new Error(`cli ${args.join(" ")} printed no JSON object`);
    return JSON.parse(line);
}

/** The variables `secrets:generate` prints (required with MySQL), as environment entries. */
export async function generatedSecrets(env = process.env, options) {
    const vars = {};
    for (const line of (await cli(env, ["secrets:generate"], options)).split("\n")) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
        if (m) vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
    }
    return vars;
}

function readyStatus(url) {
    return new Promise((resolve) => {
        const req = http.get(`${url}/health/ready`, {timeout: 2000}, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => resolve(0));
    });
}

/**
 * Starts the app of the build in `dist` with `nodeArgs` on `port` (a free one unless given), with
 * PORT and PUBLIC_URL added to `env`, and waits until GET /health/ready answers 200. Returns
 * {url, port, pid, child, stop()}; stop() sends SIGTERM (SIGKILL 10 s later) and waits for the exit.
 */
export async function startApp({env, dist = DIST, nodeArgs = [], port, stdio = ["ignore", "inherit", "inherit"], readyTimeoutMs = 60_000}) {
    port ??= await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [...nodeArgs, path.join(dist, "apps/api/src/main.js")], {cwd: ROOT, env: {...env, PORT: String(port), PUBLIC_URL: url}, stdio});
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(kill);
    };
    const until = Date.now() + readyTimeoutMs;
    while ((await readyStatus(url)) !== 200) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the app exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`);
        if (Date.now() > until) {
            await stop();
            throw new Error(`the app did not become ready at ${url} within ${readyTimeoutMs / 1000} s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return {url, port, pid: child.pid, child, stop};
}
