// Cycle mode (the default): Entra's initial cycle (lookup miss + create per user) and incremental
// cycle (lookup hit + PATCH per user, every 10th deactivated) on each server, rounds alternating
// the server order, with throughput ours/peer against its target.
import {newAgent, request, pool} from "../lib/http.mjs";
import {Recorder} from "../lib/recorder.mjs";
import {cpuProbe, rssKiB} from "../lib/probes.mjs";
import {filterPath, entraCreateBody, entraPatchBody, entraDeactivateBody, makeUsers, listOf} from "../lib/entra.mjs";
import {fmt, table, opRows, printSamples} from "../lib/report.mjs";
import {log, note} from "../lib/processes.mjs";

/**
 * Runs `perUser(rec, agent, user, i)` for every user, --concurrency at a time, and measures it:
 * the recorder, wall time, CPU per request of the server (and its database) and, for ours with
 * --count-sql, the statements sent.
 */
async function measured(ctx, server, users, perUser) {
    const rec = new Recorder();
    const agent = newAgent(ctx.cfg.concurrency);
    const cpu = cpuProbe(server, ctx.dbPid);
    const sql = server.name === "ours" && ctx.sql ? ctx.sql.snapshot() : null;
    const t0 = process.hrtime.bigint();
    await pool(users.length, ctx.cfg.concurrency, ctx.deadline, (i) => perUser(rec, agent, users[i], i));
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    agent.destroy();
    return {rec, wallMs, cpu: cpu(rec.requests), sql: sql ? ctx.sql.delta(sql, rec.requests) : null};
}

/** Initial cycle: per user, lookup (miss) then create. */
function initialCycle(ctx, server, users) {
    return measured(ctx, server, users, async (rec, agent, u) => {
        rec.record("query-miss", await request(server, agent, "GET", filterPath(u.userName)), listOf(0));
        const created = rec.record("create", await request(server, agent, "POST", "/Users", entraCreateBody(u)), (b, res) => {
            if (res.status !== 201) return `expected 201, got ${res.status}`;
            if (!b || typeof b.id !== "string") return "no id in the created resource";
            if (String(b.userName).toLowerCase() !== u.userName) return `userName ${b.userName} != ${u.userName}`;
            return null;
        });
        if (created) u.ids[server.name] = created.id;
    });
}

/** Incremental cycle: per user, lookup (hit) then PATCH; every 10th user is deactivated instead. */
function incrementalCycle(ctx, server, users) {
    const {cfg} = ctx;
    return measured(ctx, server, users, async (rec, agent, u, i) => {
        const found = rec.record("query-hit", await request(server, agent, "GET", filterPath(u.userName)), (b) => {
            const p = listOf(1)(b);
            if (p) return p;
            if (u.ids[server.name] && b.Resources[0].id !== u.ids[server.name]) return "lookup returned a different id than the create";
            return null;
        });
        const id = found?.Resources?.[0]?.id ?? u.ids[server.name];
        if (!id) return; // nothing to patch; already counted as an error
        if (i % 10 === 9) {
            rec.record("deactivate", await request(server, agent, "PATCH", `/Users/${encodeURIComponent(id)}`, entraDeactivateBody(cfg.stringBooleans)), (b, res) => {
                if (res.status === 200 && b && b.active !== false) return `active is ${JSON.stringify(b.active)} after deactivation`;
                return null;
            });
        } else {
            rec.record("patch", await request(server, agent, "PATCH", `/Users/${encodeURIComponent(id)}`, entraPatchBody(u)), (b, res) => {
                if (res.status !== 200 || !b) return null; // 204 is allowed by RFC 7644
                if (b.name?.familyName !== "Smith") return `name.familyName is ${JSON.stringify(b.name?.familyName)}`;
                const work = (b.emails ?? []).find((e) => e.type === "work");
                if (!work || work.value !== u.newEmail) return `work e-mail is ${JSON.stringify(work?.value)}`;
                return null;
            });
        }
    });
}

export async function cycleMode(ctx, servers, result) {
    const {cfg} = ctx;
    const scenarios = [
        {key: "initial", title: "initial cycle: GET filter (miss) + POST per user", fn: initialCycle},
        {key: "incremental", title: `incremental cycle: GET filter (hit) + PATCH per user, every 10th deactivated${cfg.stringBooleans ? ' with "False"' : ""}`, fn: incrementalCycle},
    ];

    // Warm-up: the same traffic on separate users, not measured (JIT, pools, caches on both sides)
    if (cfg.warmup > 0) {
        const warm = makeUsers(`${ctx.runTag}w`, cfg.warmup);
        for (const server of servers) {
            note(`warm-up on ${server.name}: ${cfg.warmup} users`);
            const a = await initialCycle(ctx, server, warm);
            const b = await incrementalCycle(ctx, server, warm);
            const sum = {...a.rec.summary(), ...b.rec.summary()};
            if (Object.values(sum).some((s) => s.errors || s.bad)) {
                log(`warm-up on ${server.name} had errors:`);
                printSamples(server.name, sum);
            }
        }
    }

    const roundUsers = Array.from({length: cfg.rounds}, (_, r) => makeUsers(`${ctx.runTag}r${r + 1}`, cfg.users));
    for (const sc of scenarios) {
        const perServer = Object.fromEntries(servers.map((s) => [s.name, []]));
        const runs = [];
        for (let r = 0; r < cfg.rounds; r++) {
            const order = r % 2 === 0 ? servers : [...servers].reverse();
            for (const server of order) {
                ctx.deadline.check();
                const {rec, wallMs, cpu, sql} = await sc.fn(ctx, server, roundUsers[r]);
                const rps = rec.requests / (wallMs / 1000);
                const errs = [...rec.ops.values()].reduce((a, s) => a + s.errors + s.bad, 0);
                note(`${sc.key} round ${r + 1} ${server.name}: ${rec.requests} requests in ${(wallMs / 1000).toFixed(2)} s = ${rps.toFixed(0)} req/s, ${errs} errors`);
                perServer[server.name].push({rec, wallMs, cpu});
                runs.push({server: server.name, round: r + 1, requests: rec.requests, wallMs, reqPerSec: rps, errors: errs,
                    ...cpu, rssKiB: rssKiB(server.pid), sql, ops: rec.summary()});
                if (sql && r === 0) {
                    log(`   SQL statements per request on ${server.name} (${sc.key}, round 1): ${sql.statementsPerRequest.toFixed(2)}`);
                    for (const x of sql.top) log(`     ${x.perRequest.toFixed(2).padStart(6)}  ${x.shape}`);
                }
            }
        }
        const agg = {};
        for (const server of servers) {
            const list = perServer[server.name];
            const merged = Recorder.merge(list.map((x) => x.rec));
            const wallMs = list.reduce((a, x) => a + x.wallMs, 0);
            const avg = (k) => (list.every((x) => x.cpu[k] != null) ? list.reduce((a, x) => a + x.cpu[k] * x.rec.requests, 0) / merged.requests : null);
            agg[server.name] = {requests: merged.requests, wallMs, reqPerSec: merged.requests / (wallMs / 1000),
                usersPerSec: (cfg.users * list.length) / (wallMs / 1000),
                serverCpuMsPerReq: avg("serverCpuMsPerReq"), dbCpuMsPerReq: avg("dbCpuMsPerReq"), ops: merged.summary()};
        }
        const invalid = Object.values(agg).some((a) => Object.values(a.ops).some((s) => s.errors || s.bad));
        const ratio = agg.ours && agg.peer ? agg.ours.reqPerSec / agg.peer.reqPerSec : null;
        const target = sc.key === "initial" ? 1 : 2;

        log("");
        log(`== ${sc.title} ==`);
        log(`   ${cfg.users} users x ${cfg.rounds} round(s), concurrency ${cfg.concurrency}`);
        log(table(["server", "round", "requests", "wall s", "req/s", "errors", "server cpu ms/req", "db cpu ms/req"], [
            ...runs.map((x) => [x.server, x.round, x.requests, fmt(x.wallMs / 1000, 2), fmt(x.reqPerSec, 0), x.errors,
                fmt(x.serverCpuMsPerReq, 2), fmt(x.dbCpuMsPerReq, 2)]),
            ...servers.map((s) => [s.name, "all", agg[s.name].requests, fmt(agg[s.name].wallMs / 1000, 2), fmt(agg[s.name].reqPerSec, 0),
                Object.values(agg[s.name].ops).reduce((a, o) => a + o.errors + o.bad, 0),
                fmt(agg[s.name].serverCpuMsPerReq, 2), fmt(agg[s.name].dbCpuMsPerReq, 2)]),
        ]));
        log("");
        log(table(["server", "operation", "count", "errors", "bad", "p50 ms", "p99 ms", "mean ms"],
            servers.flatMap((s) => opRows(s.name, agg[s.name].ops))));
        for (const s of servers) printSamples(s.name, agg[s.name].ops);
        if (ratio !== null) {
            log(`   throughput ours/peer: ${ratio.toFixed(2)}x (target >= ${target}x)${ratio >= target ? "" : "  BELOW TARGET"}${invalid ? "  INVALID: errors above" : ""}`);
            const oc = agg.ours.serverCpuMsPerReq, pc = agg.peer.serverCpuMsPerReq, dc = agg.ours.dbCpuMsPerReq;
            if (oc != null && pc != null) {
                log(`   CPU per request: ours ${oc.toFixed(2)} ms app${dc != null ? ` + ${dc.toFixed(2)} ms database` : ""}, peer ${pc.toFixed(2)} ms`);
            }
        } else if (invalid) {
            log("   INVALID: errors above");
        }
        result.scenarios.push({scenario: sc.key, users: cfg.users, rounds: cfg.rounds, concurrency: cfg.concurrency, runs, aggregate: agg,
            ratioOursPeer: ratio, target, valid: !invalid});
    }
    return result.scenarios.every((s) => s.valid);
}
