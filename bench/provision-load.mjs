#!/usr/bin/env node
// Provisioning load benchmark: replays what a Microsoft Entra ID provisioning cycle sends
// (see docs/benchmarks.md) against the Atea SCIM service and against a third-party baseline
// (the scimmy-peer), and reports throughput and per-operation latency.
//
//   npm run bench                              # both servers, 2000 users, concurrency 16
//   npm run bench -- --users 500 --only peer   # harness check against the peer alone
//   npm run bench -- --scale                   # userName lookup cost and RSS at 1k and 100k users
//   npm run bench -- --groups                  # membership PATCH cost on a 100k-member vs a 10-member group
//   npm run bench -- --help
//
// Plain Node ESM: built-ins plus `mysql2` from the project's node_modules. Load goes to
// loopback addresses only. Every loop is bounded in count, and the whole run by --duration-limit.
//
// This file is the entry point: the options (lib/options.mjs), the run's context, exit handling
// and the result; each mode is a module of scenarios/, the shared machinery is in lib/.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {ROOT} from "./lib/app.mjs";
import {parseOptions} from "./lib/options.mjs";
import {Abort, Deadline, Processes, log, note, run} from "./lib/processes.mjs";
import {findDbPid, rssKiB} from "./lib/probes.mjs";
import {SqlCounter} from "./lib/sql-proxy.mjs";
import {startOurs, startPeer} from "./lib/servers.mjs";
import {writeResult} from "./lib/report.mjs";
import {cycleMode} from "./scenarios/cycle.mjs";
import {operationsMode} from "./scenarios/operations.mjs";
import {scaleMode} from "./scenarios/scale.mjs";
import {groupsMode} from "./scenarios/groups.mjs";

const cfg = parseOptions();
const {opt} = cfg;
const startedAt = new Date();

/** What the modes share: the options, the run's names and limits, the processes it started. */
const ctx = {
    cfg,
    startedAt,
    stamp: startedAt.toISOString().replace(/[:.]/g, "-"),
    runTag: `b${Date.now().toString(36)}${process.pid.toString(36)}`, // unique per run: safe on a reused server
    deadline: new Deadline(cfg.durationLimitS),
    dbPid: findDbPid(),
    procs: new Processes(),
    sql: opt["count-sql"] ? new SqlCounter() : null,
};

// The result so far, written as a partial result when the run is stopped before its end
let partialResult = null;

function writePartial(reason) {
    if (!partialResult) return;
    try {
        partialResult.aborted = reason;
        note(`partial result written to ${writeResult(opt["results-dir"], ctx.stamp, partialResult)}`);
    } catch { /* best effort */ }
}

// Last resort if something hangs (a request without timeout, a stuck child): kill children
// synchronously and leave. Normal aborts go through the soft deadline checks.
const hardTimer = setTimeout(() => {
    note(`duration limit of ${cfg.durationLimitS}s exceeded (+30s grace): killing servers and exiting`);
    ctx.procs.killAll();
    writePartial("duration limit exceeded");
    ctx.procs.cleanup().finally(() => process.exit(124));
    setTimeout(() => process.exit(124), 10_000).unref();
}, cfg.durationLimitS * 1000 + 30_000);
hardTimer.unref();

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
        note(`${signal}: stopping servers, dropping the bench database`);
        writePartial(`interrupted by ${signal}`);
        ctx.procs.cleanup().finally(() => process.exit(130));
        setTimeout(() => process.exit(130), 15_000).unref();
    });
}

async function main() {
    fs.mkdirSync(opt["results-dir"], {recursive: true});
    const meta = {
        date: startedAt.toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
        loadavg: os.loadavg(),
        mariadb: null,
        commit: null,
        appIssues: [],
        options: {...opt},
    };
    const head = await run("git", ["rev-parse", "--short", "HEAD"], {timeoutMs: 10_000}); // read-only
    if (head.code === 0) meta.commit = head.stdout.trim();
    delete meta.options["target-token"];
    delete meta.options["peer-token"];
    const result = {meta, servers: {}, scenarios: [], scale: [], groups: [], operations: []};
    partialResult = result;

    const servers = [];
    if (cfg.wantOurs) {
        const logFile = path.join(opt["results-dir"], `${ctx.stamp}-ours.log`);
        note(opt["target-url"] ? `ours: ${opt["target-url"]}` : `starting our app (log: ${path.relative(ROOT, logFile)})`);
        servers.push(await startOurs(ctx, logFile, meta));
    }
    if (cfg.wantPeer) {
        const logFile = path.join(opt["results-dir"], `${ctx.stamp}-peer.log`);
        servers.push(await startPeer(ctx, logFile));
    }
    for (const s of servers) {
        result.servers[s.name] = {url: s.url.toString(), pid: s.pid, external: s.external, rssAtStartKiB: rssKiB(s.pid)};
        note(`${s.name}: ${s.url}${s.pid ? ` (pid ${s.pid})` : ""}`);
    }
    log(`provision-load ${meta.date}  commit ${meta.commit ?? "?"}${opt.build ? " + working tree (--build)" : ""}  node ${meta.node}  ${meta.cpus} cpus  ${meta.memGiB} GiB${meta.mariadb ? `  MariaDB ${meta.mariadb}` : ""}  load ${meta.loadavg.map((x) => x.toFixed(2)).join(" ")}`);

    const valid = opt.scale ? await scaleMode(ctx, servers, result)
        : opt.groups ? await groupsMode(ctx, servers, result)
        : opt.operations ? await operationsMode(ctx, servers, result) : await cycleMode(ctx, servers, result);
    for (const s of servers) result.servers[s.name].rssAtEndKiB = rssKiB(s.pid);
    result.valid = valid;
    partialResult = null;
    const file = writeResult(opt["results-dir"], ctx.stamp, result);
    log("");
    log(`result: ${path.relative(ROOT, file)}${valid ? "" : "  (INVALID: some requests failed, see above)"}`);
    return valid ? 0 : 1;
}

main()
    .then(async (code) => {
        await ctx.procs.cleanup();
        process.exit(code);
    })
    .catch(async (err) => {
        console.error(`[bench] ${err instanceof Abort ? err.message : err.stack}`);
        writePartial(err.message);
        await ctx.procs.cleanup();
        process.exit(err instanceof Abort ? 3 : 1);
    });
