// Operations mode (--operations): each Entra operation on its own, with the server's (and the
// database's) CPU per request of each.
import {newAgent, request, pool} from "../lib/http.mjs";
import {Recorder} from "../lib/recorder.mjs";
import {cpuProbe} from "../lib/probes.mjs";
import {filterPath, entraCreateBody, entraPatchBody, entraDeactivateBody, makeUsers, listOf} from "../lib/entra.mjs";
import {fmt, table, printSamples} from "../lib/report.mjs";
import {log, note} from "../lib/processes.mjs";

/**
 * One operation at a time on fresh users, so that the CPU each one costs can be read apart: the
 * cycles mix two operations per user. Phases run in Entra's order, each on the users the previous
 * phases left: query-miss, create, query-hit, patch (9 users in 10), deactivate (the 10th), and a
 * GET of /ServiceProviderConfig, which touches no database (the framework's share).
 */
export async function operationsMode(ctx, servers, result) {
    const {cfg} = ctx;
    const phases = [
        {op: "query-miss", users: (all) => all, send: (server, agent, u) => request(server, agent, "GET", filterPath(u.userName)), check: listOf(0)},
        {op: "create", users: (all) => all, send: (server, agent, u) => request(server, agent, "POST", "/Users", entraCreateBody(u)),
            check: (b, res) => (res.status !== 201 || typeof b?.id !== "string" ? `expected 201 with an id, got ${res.status}` : null),
            keep: (server, u, b) => { u.ids[server.name] = b.id; }},
        {op: "query-hit", users: (all) => all, send: (server, agent, u) => request(server, agent, "GET", filterPath(u.userName)), check: listOf(1)},
        {op: "patch", users: (all) => all.filter((_, i) => i % 10 !== 9),
            send: (server, agent, u) => request(server, agent, "PATCH", `/Users/${encodeURIComponent(u.ids[server.name])}`, entraPatchBody(u)),
            check: (b, res) => (res.status === 200 && b?.name?.familyName !== "Smith" ? "the PATCH did not apply" : null)},
        {op: "deactivate", users: (all) => all.filter((_, i) => i % 10 === 9),
            send: (server, agent, u) => request(server, agent, "PATCH", `/Users/${encodeURIComponent(u.ids[server.name])}`, entraDeactivateBody(cfg.stringBooleans)),
            check: (b, res) => (res.status === 200 && b?.active !== false ? "still active" : null)},
        {op: "service-config", users: (all) => all, send: (server, agent) => request(server, agent, "GET", "/ServiceProviderConfig"), check: null},
    ];
    const runPhases = async (server, users, record) => {
        for (const phase of phases) {
            ctx.deadline.check();
            const list = phase.users(users);
            const rec = new Recorder();
            const agent = newAgent(cfg.concurrency);
            const cpu = cpuProbe(server, ctx.dbPid);
            const t0 = process.hrtime.bigint();
            await pool(list.length, cfg.concurrency, ctx.deadline, async (i) => {
                const body = rec.record(phase.op, await phase.send(server, agent, list[i]), phase.check);
                if (body && phase.keep) phase.keep(server, list[i], body);
            });
            const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
            agent.destroy();
            if (record) record(phase.op, rec, wallMs, cpu(rec.requests));
        }
    };
    let valid = true;
    for (const server of servers) {
        if (cfg.warmup > 0) {
            note(`warm-up on ${server.name}: ${cfg.warmup} users`);
            await runPhases(server, makeUsers(`${ctx.runTag}ow`, cfg.warmup), null);
        }
        const rows = [];
        for (let r = 0; r < cfg.rounds; r++) {
            await runPhases(server, makeUsers(`${ctx.runTag}o${r + 1}`, cfg.users), (op, rec, wallMs, cpu) => {
                const s = rec.summary()[op];
                if (s.errors || s.bad) {
                    valid = false;
                    printSamples(server.name, {[op]: s});
                }
                const row = {server: server.name, round: r + 1, op, requests: rec.requests, reqPerSec: rec.requests / (wallMs / 1000), ...cpu, ...s};
                rows.push(row);
                result.operations.push(row);
            });
        }
        log("");
        log(`== operations: ${server.name}, ${cfg.users} users x ${cfg.rounds} round(s), concurrency ${cfg.concurrency} ==`);
        log(table(["round", "operation", "count", "errors", "req/s", "p50 ms", "p99 ms", "server cpu µs/req", "db cpu µs/req"],
            rows.map((x) => [x.round, x.op, x.count, x.errors + x.bad, fmt(x.reqPerSec, 0), fmt(x.p50, 2), fmt(x.p99, 2),
                fmt(x.serverCpuMsPerReq == null ? null : x.serverCpuMsPerReq * 1000, 0), fmt(x.dbCpuMsPerReq == null ? null : x.dbCpuMsPerReq * 1000, 0)])));
    }
    return valid;
}
