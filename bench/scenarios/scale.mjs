// Scale mode (--scale): userName lookups (hits and misses), their CPU and the server's RSS at
// --scale-base users and again once filled to --scale-users.
import {randomUUID} from "node:crypto";
import {newAgent, request, pool} from "../lib/http.mjs";
import {Recorder, median} from "../lib/recorder.mjs";
import {cpuProbe, rssKiB, mib} from "../lib/probes.mjs";
import {filterPath, entraCreateBody, makeUsers, listOf} from "../lib/entra.mjs";
import {fmt, table, opRows, printSamples} from "../lib/report.mjs";
import {log, note} from "../lib/processes.mjs";

/** Creates users[from..to) on the server (Entra's create body), reporting progress every 10,000 users. */
export async function fill(ctx, server, users, from, to) {
    const {cfg} = ctx;
    const rec = new Recorder();
    const agent = newAgent(cfg.concurrency);
    const t0 = Date.now();
    let done = 0;
    let nextReport = Math.ceil((from + 1) / 10_000) * 10_000;
    await pool(to - from, cfg.concurrency, ctx.deadline, async (k) => {
        const u = users[from + k];
        const created = rec.record("create", await request(server, agent, "POST", "/Users", entraCreateBody(u)), (b, res) => {
            if (res.status !== 201) return `expected 201, got ${res.status}`;
            if (!b || typeof b.id !== "string") return "no id in the created resource";
            return null;
        });
        if (created) u.ids[server.name] = created.id;
        done++;
        if (from + done >= nextReport) {
            const s = (Date.now() - t0) / 1000;
            note(`${server.name}: ${from + done} users (${(done / s).toFixed(0)} creates/s, RSS ${mib(rssKiB(server.pid))})`);
            nextReport += 10_000;
        }
    });
    agent.destroy();
    const summary = rec.summary();
    const wallS = (Date.now() - t0) / 1000;
    const errors = (summary.create?.errors ?? 0) + (summary.create?.bad ?? 0);
    if (errors) {
        log(`fill on ${server.name} had ${errors} failed creates:`);
        printSamples(server.name, summary);
    }
    return {created: to - from, wallS, createsPerSec: (to - from) / wallS, errors, create: summary.create};
}

async function lookups(ctx, server, users, filled, count) {
    const {cfg} = ctx;
    const rec = new Recorder();
    const agent = newAgent(cfg.concurrency);
    const cpu = cpuProbe(server, ctx.dbPid);
    const t0 = process.hrtime.bigint();
    await pool(count, cfg.concurrency, ctx.deadline, async (i) => {
        if (i % 2 === 0) {
            const u = users[Math.floor(Math.random() * filled)];
            rec.record("lookup-hit", await request(server, agent, "GET", filterPath(u.userName)), listOf(1));
        } else {
            rec.record("lookup-miss", await request(server, agent, "GET", filterPath(`${ctx.runTag}-miss-${randomUUID()}@contoso.com`)), listOf(0));
        }
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    agent.destroy();
    return {wallMs, reqPerSec: rec.requests / (wallMs / 1000), ...cpu(rec.requests), ops: rec.summary()};
}

/** Warm-up, then --lookup-blocks blocks of --lookups lookups; per-point figures are the median over blocks. */
async function measureLookups(ctx, server, users, filled) {
    const {cfg} = ctx;
    await lookups(ctx, server, users, filled, 2 * cfg.lookups);
    const blocks = [];
    // RSS moves with garbage collection: sample it every 200 ms while measuring
    const rss = [];
    const sampler = server.pid ? setInterval(() => rss.push(rssKiB(server.pid)), 200) : null;
    try {
        for (let b = 0; b < cfg.lookupBlocks; b++) {
            ctx.deadline.check();
            blocks.push(await lookups(ctx, server, users, filled, cfg.lookups));
        }
    } finally {
        if (sampler) clearInterval(sampler);
    }
    rss.push(rssKiB(server.pid));
    const ops = {};
    for (const op of ["lookup-hit", "lookup-miss"]) {
        const per = blocks.map((x) => x.ops[op]).filter(Boolean);
        ops[op] = {
            count: per.reduce((a, x) => a + x.count, 0),
            errors: per.reduce((a, x) => a + x.errors, 0),
            bad: per.reduce((a, x) => a + x.bad, 0),
            p50: median(per.map((x) => x.p50)),
            p99: median(per.map((x) => x.p99)),
            mean: median(per.map((x) => x.mean)),
            blockP50: per.map((x) => x.p50),
            samples: per.flatMap((x) => x.samples).slice(0, 5),
        };
    }
    const rssValid = rss.filter((x) => x != null);
    return {
        rssMedianKiB: median(rssValid),
        rssMaxKiB: rssValid.length ? Math.max(...rssValid) : null,
        reqPerSec: median(blocks.map((x) => x.reqPerSec)),
        serverCpuMsPerReq: median(blocks.map((x) => x.serverCpuMsPerReq)),
        dbCpuMsPerReq: median(blocks.map((x) => x.dbCpuMsPerReq)),
        ops,
        blocks: blocks.map(({ops: o, ...rest}) => ({...rest, ops: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, {...v, samples: undefined}]))})),
    };
}

export async function scaleMode(ctx, servers, result) {
    const {cfg} = ctx;
    let valid = true;
    for (const server of servers) {
        log("");
        log(`== scale: ${server.name}, userName lookups at ${cfg.scaleBase} and ${cfg.scaleUsers} users ==`);
        log(`   per point: ${2 * cfg.lookups} warm-up lookups, then ${cfg.lookupBlocks} blocks of ${cfg.lookups} (half hits, half misses) at concurrency ${cfg.concurrency}; figures are medians over blocks`);
        const users = makeUsers(`${ctx.runTag}s`, cfg.scaleUsers);
        const points = [];
        let filled = 0;
        const rssStart = rssKiB(server.pid);
        for (const target of [cfg.scaleBase, cfg.scaleUsers]) {
            ctx.deadline.check();
            const f = await fill(ctx, server, users, filled, target);
            filled = target;
            if (f.errors) valid = false;
            note(`${server.name}: filled to ${target} (${f.createsPerSec.toFixed(0)} creates/s); measuring lookups`);
            const m = await measureLookups(ctx, server, users, filled);
            const rss = m.rssMedianKiB;
            if (Object.values(m.ops).some((x) => x.errors || x.bad)) valid = false;
            points.push({users: target, fill: f, lookups: m, rssKiB: rss});
        }
        const [small, big] = points;
        const r = (op, p) => (small.lookups.ops[op]?.[p] ? big.lookups.ops[op][p] / small.lookups.ops[op][p] : null);
        const ratios = {
            hitP50: r("lookup-hit", "p50"), hitP99: r("lookup-hit", "p99"),
            missP50: r("lookup-miss", "p50"), missP99: r("lookup-miss", "p99"),
            serverCpu: small.lookups.serverCpuMsPerReq ? big.lookups.serverCpuMsPerReq / small.lookups.serverCpuMsPerReq : null,
            rss: small.rssKiB ? big.rssKiB / small.rssKiB : null,
        };
        log(table(["users", "operation", "count", "errors", "bad", "p50 ms", "p99 ms", "mean ms", "p50 per block"],
            points.flatMap((p) => opRows(String(p.users), p.lookups.ops).map((row, i) => [...row,
                Object.values(p.lookups.ops)[i].blockP50.map((x) => fmt(x, 1)).join(" ")]))));
        for (const p of points) printSamples(`${p.users} users`, p.lookups.ops);
        log("");
        log(table(["users", "fill creates/s", "fill create p50 ms", "fill create p99 ms", "lookups req/s", "server cpu ms/lookup", "db cpu ms/lookup", "RSS median", "RSS max"],
            points.map((p) => [p.users, fmt(p.fill.createsPerSec, 0), fmt(p.fill.create?.p50, 2), fmt(p.fill.create?.p99, 2), fmt(p.lookups.reqPerSec, 0),
                fmt(p.lookups.serverCpuMsPerReq, 2), fmt(p.lookups.dbCpuMsPerReq, 2), mib(p.rssKiB), mib(p.lookups.rssMaxKiB)])));
        const worst = Math.max(ratios.hitP50 ?? 0, ratios.missP50 ?? 0);
        log(`   lookup cost ${cfg.scaleUsers}/${cfg.scaleBase}: hit p50 ${fmt(ratios.hitP50, 2)}x, p99 ${fmt(ratios.hitP99, 2)}x; miss p50 ${fmt(ratios.missP50, 2)}x, p99 ${fmt(ratios.missP99, 2)}x; server CPU per lookup ${fmt(ratios.serverCpu, 2)}x (target p50 <= 1.5x)${worst > 1.5 ? "  ABOVE TARGET" : ""}`);
        if (server.pid) {
            log(`   RSS (median while measuring): start ${mib(rssStart)}, at ${cfg.scaleBase} users ${mib(small.rssKiB)}, at ${cfg.scaleUsers} users ${mib(big.rssKiB)} (${fmt(ratios.rss, 2)}x)`);
        }
        result.scale.push({server: server.name, base: cfg.scaleBase, users: cfg.scaleUsers, lookups: cfg.lookups, blocks: cfg.lookupBlocks,
            concurrency: cfg.concurrency, rssStartKiB: rssStart, points, ratios, withinTarget: worst <= 1.5});
    }
    return valid;
}
