// The servers under load: ours (built, given a fresh MariaDB database, a tenant and a SCIM token by
// its CLI, then started) and the scimmy-peer, or either one already running (--target-url, --peer-url).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {randomUUID} from "node:crypto";
import {LIFTED_TENANT_LIMITS, ROOT, START_FLAGS, freePort} from "./app.mjs";
import {usage} from "./options.mjs";
import {Abort, note, sleep, run, lastJson, tail} from "./processes.mjs";

const BENCH_DIR = path.join(ROOT, "bench");

function isLoopback(hostname) {
    const h = hostname.replace(/^\[|\]$/g, "");
    return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function parseBase(url, what) {
    let u;
    try {
        u = new URL(url);
    } catch {
        usage(`${what}: not a URL: ${url}`);
    }
    if (u.protocol !== "http:") usage(`${what}: only http:// on loopback is supported`);
    if (!isLoopback(u.hostname)) usage(`${what}: load may only target loopback (127.0.0.1), not ${u.hostname}`);
    return u;
}

/** A server to load: {name, url, basePath, token, pid, external, requestTimeoutMs}. */
function serverFromUrl(cfg, name, url, token, pid) {
    const u = parseBase(url, name);
    return {name, url: u, basePath: u.pathname.replace(/\/$/, ""), token, pid: pid ? Number(pid) : null, external: true,
        requestTimeoutMs: cfg.requestTimeoutMs};
}

async function waitReady(deadline, name, child, url, headers, logFile, timeoutMs = 90_000) {
    const until = Math.min(Date.now() + timeoutMs, deadline.at);
    let last = "";
    while (Date.now() < until) {
        if (child && (child.exitCode !== null || child.signalCode !== null)) {
            const logText = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
            throw new Abort(`${name} exited before it was ready (code ${child.exitCode}):\n${tail(logText, 30)}`);
        }
        const res = await new Promise((resolve) => {
            const req = http.get(url, {headers, timeout: 2000}, (r) => {
                r.resume();
                r.on("end", () => resolve(r.statusCode));
            });
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.on("error", (e) => resolve(e.message));
        });
        if (res === 200) return;
        last = String(res);
        await sleep(250);
    }
    const logText = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
    throw new Abort(`${name} not ready at ${url} (last answer: ${last}):\n${tail(logText, 30)}`);
}

async function preparePeer(opt) {
    const dir = path.resolve(opt["peer-dir"]);
    if (!fs.existsSync(path.join(dir, "server.mjs"))) {
        const src = path.resolve(opt["peer-src"]);
        if (!fs.existsSync(path.join(src, "server.mjs"))) throw new Abort(`peer not found in ${dir} nor in ${src} (--peer-src)`);
        note(`copying the peer from ${src} to ${dir}`);
        fs.cpSync(src, dir, {recursive: true, filter: (p) => !p.includes(`${path.sep}node_modules`)});
        for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
    }
    if (!fs.existsSync(path.join(dir, "node_modules", "scimmy-routers"))) {
        note(`npm ci in ${dir}`);
        const r = await run("npm", ["ci", "--no-audit", "--no-fund"], {cwd: dir, timeoutMs: 300_000});
        if (r.code !== 0) throw new Abort(`npm ci for the peer failed:\n${tail(r.stderr)}`);
    }
    return dir;
}

export async function startPeer(ctx, logFile) {
    const {cfg} = ctx;
    const {opt} = cfg;
    if (opt["peer-url"]) return serverFromUrl(cfg, "peer", opt["peer-url"], opt["peer-token"], opt["peer-pid"]);
    const dir = await preparePeer(opt);
    const port = await freePort();
    const token = `peer-${randomUUID()}`;
    const child = ctx.procs.spawn("peer", process.execPath,
        [path.join(dir, "server.mjs"), "--port", String(port), "--token", token, "--index", opt["peer-index"]],
        {...process.env, NODE_ENV: "production"}, logFile);
    const base = `http://127.0.0.1:${port}/scim/v2`;
    await waitReady(ctx.deadline, "peer", child, `${base}/ServiceProviderConfig`, {Authorization: `Bearer ${token}`}, logFile);
    return {...serverFromUrl(cfg, "peer", base, token), pid: child.pid, external: false};
}

/** dist/ snapshot so that a rebuild in the shared tree (nest build deletes dist/) cannot pull files from under the app. */
function distRoot(ctx) {
    const dist = path.join(ROOT, "dist");
    if (ctx.cfg.opt["use-dist"]) return dist;
    const cacheRoot = path.join(BENCH_DIR, ".cache");
    fs.mkdirSync(cacheRoot, {recursive: true});
    const snapshotDir = fs.mkdtempSync(path.join(cacheRoot, "dist-"));
    ctx.procs.snapshotDir = snapshotDir;
    fs.cpSync(dist, snapshotDir, {recursive: true});
    // Imports of packages resolve through the parents' node_modules, i.e. the project's.
    return snapshotDir;
}

export async function startOurs(ctx, logFile, meta) {
    const {cfg} = ctx;
    const {opt} = cfg;
    if (opt["target-url"]) return serverFromUrl(cfg, "ours", opt["target-url"], opt["target-token"], opt["target-pid"]);

    // 1. Build when needed (or, with --build, into a private directory)
    let dist;
    if (opt.build) {
        note("--build: nest build -p bench/tsconfig.build.json (output in bench/.cache/build)");
        const r = await run(path.join(ROOT, "node_modules/.bin/nest"), ["build", "-p", "bench/tsconfig.build.json"], {timeoutMs: 600_000});
        if (r.code !== 0) throw new Abort(`nest build failed:\n${tail(r.stdout + r.stderr, 40)}`);
        dist = path.join(BENCH_DIR, ".cache/build");
    } else {
        const apiMain = path.join(ROOT, "dist/apps/api/src/main.js");
        const cliMain = path.join(ROOT, "dist/apps/cli/src/main.js");
        if (!fs.existsSync(apiMain) || !fs.existsSync(cliMain)) {
            note("dist/ incomplete: npm run build");
            const r = await run("npm", ["run", "build"], {timeoutMs: 600_000});
            if (r.code !== 0) throw new Abort(`npm run build failed:\n${tail(r.stdout + r.stderr, 40)}`);
            if (!fs.existsSync(apiMain) || !fs.existsSync(cliMain)) throw new Abort("npm run build did not produce dist/apps/{api,cli}/src/main.js");
        }
        dist = distRoot(ctx);
    }
    const api = path.join(dist, "apps/api/src/main.js");
    const cli = path.join(dist, "apps/cli/src/main.js");
    if (!fs.existsSync(api) || !fs.existsSync(cli)) throw new Abort(`no apps/{api,cli}/src/main.js under ${dist}`);

    // 2. Fresh database
    const mysql = (await import("mysql2/promise")).default;
    const adminUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/";
    const dbName = `atea_bench_${process.pid}`;
    const conn = await mysql.createConnection({uri: adminUrl, connectTimeout: 5000});
    try {
        const [[{v}]] = await conn.query("SELECT VERSION() AS v");
        meta.mariadb = v;
        await conn.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
        await conn.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        ctx.procs.benchDb = {adminUrl, name: dbName};
    } finally {
        await conn.end();
    }
    const dbUrl = new URL(adminUrl);
    dbUrl.pathname = `/${dbName}`;
    const env = {...process.env, DATABASE_URL: dbUrl.toString(), NODE_ENV: "production", LOG_LEVEL: "warn"};
    note(`database ${dbName} on ${dbUrl.host}`);

    // 3. Secrets (required with MySQL), migrations, tenant, SCIM token
    const cliRun = async (args, required = true) => {
        const r = await run(process.execPath, [cli, ...args], {env});
        if (r.code !== 0 && required) throw new Abort(`cli ${args.join(" ")} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
        return r;
    };
    const secrets = await cliRun(["secrets:generate"], false);
    if (secrets.code === 0) {
        let n = 0;
        for (const line of secrets.stdout.split("\n")) {
            const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
            if (!m) continue;
            let value = m[2].trim();
            if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\n/g, value[0] === '"' ? "\n" : "\\n");
            env[m[1]] = value;
            n++;
        }
        note(`secrets:generate gave ${n} variables`);
    } else {
        note(`secrets:generate not available (exit ${secrets.code}): proceeding without: ${tail(secrets.stderr, 2)}`);
    }
    // The documented form is `--flag value`; if the CLI rejects it, say so and retry as `--flag=value`.
    const cliCmd = async (name, flags) => {
        const spaced = [name, ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
        const r = await cliRun(spaced, false);
        if (r.code === 0) return r;
        const problem = `cli ${spaced.join(" ")} failed (exit ${r.code}): ${tail(r.stderr || r.stdout, 3)}`;
        const r2 = await cliRun([name, ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)], false);
        if (r2.code !== 0) throw new Abort(problem);
        note(`APP ISSUE: ${problem}; the --flag=value form worked`);
        meta.appIssues.push(`${problem}; the --flag=value form worked`);
        return r2;
    };
    const migrated = await cliRun(["migrate"]);
    meta.migrate = lastJson(migrated.stdout);
    const tenant = lastJson((await cliCmd("tenant:create", {slug: "bench", name: "Bench"})).stdout);
    if (!tenant?.id) throw new Abort("tenant:create did not print {id, slug, name}");
    const tok = lastJson((await cliCmd("scim-token:create", {tenant: "bench"})).stdout);
    if (!tok?.token) throw new Abort("scim-token:create did not print {id, token, expiresAt}");

    // 4. Start the app
    const port = await freePort();
    // --cpu-prof writes its file on a normal exit; make SIGTERM one.
    const nodeArgs = [...START_FLAGS, ...(opt.profile ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(opt["results-dir"], `${ctx.stamp}-ours-prof`),
        "--import", 'data:text/javascript,process.once("SIGTERM",()=>process.exit(0))'] : [])];
    // Capacity is measured with one tenant sending as fast as it can: its rate limit and its line are lifted.
    const appEnv = {...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...LIFTED_TENANT_LIMITS};
    if (opt["count-sql"]) {
        const proxyUrl = new URL(dbUrl);
        proxyUrl.hostname = "127.0.0.1";
        proxyUrl.port = String(await ctx.sql.listen(dbUrl));
        appEnv.DATABASE_URL = proxyUrl.toString();
        note(`--count-sql: the app reaches the database through ${proxyUrl.host}`);
    }
    const child = ctx.procs.spawn("ours", process.execPath, [...nodeArgs, api], appEnv, logFile);
    await waitReady(ctx.deadline, "ours", child, `http://127.0.0.1:${port}/health/ready`, {}, logFile);
    return {...serverFromUrl(cfg, "ours", `http://127.0.0.1:${port}/scim/v2`, tok.token), pid: child.pid, external: false};
}
