// Groups mode (--groups): Entra's membership PATCHes and GET ?excludedAttributes=members on a big
// and a small group, with big/small ratios against their target and a membership check at the end.
import {randomUUID} from "node:crypto";
import {newAgent, request, pool} from "../lib/http.mjs";
import {Recorder, percentile, median} from "../lib/recorder.mjs";
import {cpuMs, rssKiB, mib} from "../lib/probes.mjs";
import {SCHEMA_PATCH, SCHEMA_GROUP, SCHEMA_MS_GROUP, makeUsers} from "../lib/entra.mjs";
import {sqlReport} from "../lib/sql-proxy.mjs";
import {fmt, table, printSamples} from "../lib/report.mjs";
import {log, note} from "../lib/processes.mjs";
import {fill} from "./scale.mjs";

const PATCH_OPS = ["member-add", "member-remove-value", "member-remove-filter"];
const GROUP_OPS = [...PATCH_OPS, "get-excluded"];
const ALL_PATCHES = "membership PATCH (all)";

class GroupSetupError extends Error {}

/** The group create body of entra-facts.md §2.11 (with the Microsoft schema URN, no members). */
function entraGroupBody(displayName) {
    return {schemas: [SCHEMA_GROUP, SCHEMA_MS_GROUP], externalId: randomUUID(), displayName, meta: {resourceType: "Group"}};
}

/** entra-facts.md §2.13: several members in one op, each with "$ref": null. */
const addMembersBody = (ids) => ({schemas: [SCHEMA_PATCH], Operations: [{op: "Add", path: "members", value: ids.map((value) => ({$ref: null, value}))}]});
/** entra-facts.md §2.14, default job. */
const removeMemberValueBody = (id) => ({schemas: [SCHEMA_PATCH], Operations: [{op: "Remove", path: "members", value: [{value: id}]}]});
/** entra-facts.md §2.14, flagged job. */
const removeMemberFilterBody = (id) => ({schemas: [SCHEMA_PATCH], Operations: [{op: "remove", path: `members[value eq "${id}"]`}]});

/** Counts a PATCH answer by status (0 = transport error) and returns it, for recording. */
function counted(statuses, res) {
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res;
}

/** PATCH /Groups must answer 204 (entra-facts.md §3). The peer answers 200 + the group, which RFC 7644 allows: counted, not failed. */
function groupPatchCheck(server) {
    return (b, res) => {
        if (res.status === 204) return null;
        if (server.name === "peer" && res.status === 200) return null;
        return `expected 204, got ${res.status}`;
    };
}

function idsOf(server, users) {
    return users.map((u) => u.ids[server.name]);
}

async function createGroup(server, displayName) {
    const agent = newAgent(1);
    const rec = new Recorder();
    const created = rec.record("group-create", await request(server, agent, "POST", "/Groups", entraGroupBody(displayName)), (b, res) => {
        if (res.status !== 201) return `expected 201, got ${res.status}`;
        if (!b || typeof b.id !== "string") return "no id in the created group";
        if (Array.isArray(b.members) && b.members.length) return "a new group without members came back with members";
        return null;
    });
    agent.destroy();
    if (!created) throw new GroupSetupError(`POST /Groups on ${server.name} failed: ${rec.summary()["group-create"].samples.join(" | ")}`);
    return created.id;
}

/** Adds `ids` to a group, --group-chunk per PATCH, one request at a time (they serialise on the group anyway). */
async function fillMembers(ctx, server, groupId, ids, statuses) {
    const {cfg} = ctx;
    const rec = new Recorder();
    const agent = newAgent(1);
    const check = groupPatchCheck(server);
    const chunkMs = [];
    const t0 = Date.now();
    let nextReport = 10_000;
    for (let from = 0; from < ids.length; from += cfg.groupChunk) {
        ctx.deadline.check();
        const part = ids.slice(from, from + cfg.groupChunk);
        const res = counted(statuses, await request(server, agent, "PATCH", `/Groups/${encodeURIComponent(groupId)}`, addMembersBody(part)));
        chunkMs.push(res.ms);
        if (!rec.record("add-chunk", res, check)) {
            agent.destroy();
            throw new GroupSetupError(`adding members ${from}-${from + part.length} on ${server.name} failed: ${rec.summary()["add-chunk"].samples.join(" | ")}`);
        }
        if (from + part.length >= nextReport) {
            note(`${server.name}: group has ${from + part.length} members (${((from + part.length) / ((Date.now() - t0) / 1000)).toFixed(0)} members/s, last PATCH ${res.ms.toFixed(0)} ms, RSS ${mib(rssKiB(server.pid))})`);
            nextReport += 10_000;
        }
    }
    agent.destroy();
    const wallS = (Date.now() - t0) / 1000;
    const s = rec.summary()["add-chunk"];
    const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    return {members: ids.length, requests: chunkMs.length, chunk: cfg.groupChunk, wallS, membersPerSec: ids.length / wallS,
        p50: s.p50, p99: s.p99, max: s.max, firstTenMeanMs: mean(chunkMs.slice(0, 10)), lastTenMeanMs: mean(chunkMs.slice(-10))};
}

/** Per spare user: PATCH add it, then PATCH remove it (value form on even pair numbers, filter form on odd). */
async function memberPairs(ctx, server, groupId, spareIds, firstPair, rec, statuses) {
    const {cfg} = ctx;
    const agent = newAgent(cfg.concurrency);
    const check = groupPatchCheck(server);
    const at = `/Groups/${encodeURIComponent(groupId)}`;
    await pool(spareIds.length, cfg.concurrency, ctx.deadline, async (i) => {
        const id = spareIds[i];
        const patch = async (body) => counted(statuses, await request(server, agent, "PATCH", at, body));
        if (!rec.record("member-add", await patch(addMembersBody([id])), check)) return; // nothing to remove
        if ((firstPair + i) % 2 === 0) rec.record("member-remove-value", await patch(removeMemberValueBody(id)), check);
        else rec.record("member-remove-filter", await patch(removeMemberFilterBody(id)), check);
    });
    agent.destroy();
}

/** entra-facts.md §2.12: GET /Groups/{id}?excludedAttributes=members, 200 without a members key. */
async function groupGets(ctx, server, groupId, displayName, count, rec) {
    const {cfg} = ctx;
    const agent = newAgent(cfg.concurrency);
    const at = `/Groups/${encodeURIComponent(groupId)}?excludedAttributes=members`;
    await pool(count, cfg.concurrency, ctx.deadline, async () => {
        rec.record("get-excluded", await request(server, agent, "GET", at), (b, res) => {
            if (res.status !== 200) return `expected 200, got ${res.status}`;
            if (!b || b.id !== groupId) return `id is ${JSON.stringify(b?.id)}`;
            if (b.displayName !== displayName) return `displayName is ${JSON.stringify(b.displayName)}`;
            if (Object.keys(b).some((k) => k.toLowerCase() === "members")) return "members returned although excluded";
            return null;
        });
    });
    agent.destroy();
}

function latencyStats(values) {
    const sorted = Float64Array.from(values).sort();
    return {count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99),
        mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null};
}

/** One GET of a whole group (members included) after the run: is the membership what it should be? */
async function checkMembers(server, groupId, expectedIds) {
    const agent = newAgent(1);
    const res = await request(server, agent, "GET", `/Groups/${encodeURIComponent(groupId)}`);
    agent.destroy();
    const out = {status: res.status, ms: res.ms, bytes: Buffer.byteLength(res.body ?? ""), members: null, ok: false, problem: null};
    if (res.status !== 200) {
        out.problem = `expected 200, got ${res.status || res.error}: ${(res.body || "").slice(0, 300)}`;
        return out;
    }
    let body;
    try {
        body = JSON.parse(res.body);
    } catch {
        out.problem = "body is not JSON";
        return out;
    }
    const members = Array.isArray(body.members) ? body.members : [];
    out.members = members.length;
    const want = new Set(expectedIds);
    const got = new Set(members.map((m) => m.value));
    const extra = [...got].filter((id) => !want.has(id));
    const missing = expectedIds.filter((id) => !got.has(id));
    if (extra.length || missing.length || got.size !== members.length) {
        out.problem = `${members.length} members (${got.size} distinct): ${missing.length} missing, ${extra.length} unexpected${extra.length ? ` e.g. ${extra.slice(0, 3).join(", ")}` : ""}`;
    } else {
        out.ok = true;
    }
    return out;
}

async function groupsForServer(ctx, server) {
    const {cfg} = ctx;
    const peer = server.name === "peer";
    const bigSize = peer ? cfg.groupPeerUsers : cfg.groupUsers;
    const pairs = peer ? cfg.groupPeerPairs : cfg.groupPairs;
    const gets = peer ? cfg.groupPeerPairs : cfg.groupGets;
    const warmup = peer ? Math.min(cfg.groupWarmup, 10) : cfg.groupWarmup;
    const blocks = Math.min(cfg.groupBlocks, pairs);
    const statuses = new Map();
    const out = {server: server.name, bigMembers: bigSize, smallMembers: cfg.groupSmall, pairs, gets, warmup, blocks,
        concurrency: cfg.concurrency, chunk: cfg.groupChunk, rssStartKiB: rssKiB(server.pid)};

    log("");
    log(`== groups: ${server.name}, membership PATCH on a ${bigSize}-member vs a ${cfg.groupSmall}-member group ==`);
    log(`   per group: ${warmup} warm-up pairs and ${2 * warmup} GETs, then ${blocks} block(s) alternating the group order, ${pairs} pairs (PATCH add one spare user, PATCH remove it) and ${gets} GET ?excludedAttributes=members in all, concurrency ${cfg.concurrency}`);

    // 1. Users: the big group's members plus spare users that never become lasting members
    const users = makeUsers(`${ctx.runTag}g`, bigSize + warmup + pairs);
    const f = await fill(ctx, server, users, 0, users.length);
    out.userFill = f;
    out.rssAfterUserFillKiB = rssKiB(server.pid);
    if (f.errors) throw new GroupSetupError(`${f.errors} of ${users.length} user creates failed on ${server.name}`);
    note(`${server.name}: ${users.length} users in ${f.wallS.toFixed(0)} s (${f.createsPerSec.toFixed(0)} creates/s)`);
    const memberIds = idsOf(server, users.slice(0, bigSize));
    const warmIds = idsOf(server, users.slice(bigSize, bigSize + warmup));
    const spareIds = idsOf(server, users.slice(bigSize + warmup));

    // 2. The two groups
    const groups = {
        small: {name: `${ctx.runTag} small`, ids: memberIds.slice(0, cfg.groupSmall)},
        big: {name: `${ctx.runTag} big`, ids: memberIds},
    };
    for (const [key, g] of Object.entries(groups)) {
        g.id = await createGroup(server, g.name);
        g.fill = await fillMembers(ctx, server, g.id, g.ids, statuses);
        note(`${server.name}: ${key} group ${g.id} has ${g.ids.length} members (${g.fill.requests} PATCHes in ${g.fill.wallS.toFixed(1)} s)`);
    }
    out.memberFill = groups.big.fill;
    out.rssAfterMemberFillKiB = rssKiB(server.pid);

    // 3. Warm-up on both groups (spare users of their own), not measured
    for (const g of Object.values(groups)) {
        const rec = new Recorder();
        await memberPairs(ctx, server, g.id, warmIds, 0, rec, statuses);
        await groupGets(ctx, server, g.id, g.name, 2 * warmup, rec);
        const sum = rec.summary();
        if (Object.values(sum).some((s) => s.errors || s.bad)) {
            log(`warm-up on ${server.name} had errors:`);
            printSamples(server.name, sum);
        }
    }

    // 4. Measurement blocks, group order alternating; RSS sampled every 200 ms meanwhile
    const dbPid = server.name === "ours" && !server.external ? ctx.dbPid : null;
    for (const g of Object.values(groups)) {
        g.rec = new Recorder();
        g.blockP50 = [];
        g.cpu = {patch: {serverMs: 0, dbMs: 0, requests: 0, wallMs: 0}, get: {serverMs: 0, dbMs: 0, requests: 0, wallMs: 0}};
        g.sql = {patch: {requests: 0, statements: 0, shapes: new Map()}, get: {requests: 0, statements: 0, shapes: new Map()}};
    }
    const rss = [];
    const sampler = server.pid ? setInterval(() => rss.push(rssKiB(server.pid)), 200) : null;
    const wantSql = server.name === "ours" && ctx.sql !== null;
    const phase = async (g, kind, fn) => {
        const requestsBefore = g.rec.requests;
        const sqlBefore = wantSql ? ctx.sql.snapshot() : null;
        const s0 = cpuMs(server.pid), d0 = cpuMs(dbPid);
        const t0 = process.hrtime.bigint();
        await fn();
        const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
        const n = g.rec.requests - requestsBefore;
        const s1 = cpuMs(server.pid), d1 = cpuMs(dbPid);
        const c = g.cpu[kind];
        c.requests += n;
        c.wallMs += wallMs;
        c.serverMs = s0 != null && s1 != null && c.serverMs != null ? c.serverMs + (s1 - s0) : null;
        c.dbMs = d0 != null && d1 != null && c.dbMs != null ? c.dbMs + (d1 - d0) : null;
        if (wantSql) ctx.sql.accumulate(g.sql[kind], sqlBefore, n);
    };
    try {
        for (let b = 0; b < blocks; b++) {
            const order = b % 2 === 0 ? [groups.small, groups.big] : [groups.big, groups.small];
            const p0 = Math.floor((b * pairs) / blocks), p1 = Math.floor(((b + 1) * pairs) / blocks);
            const g0 = Math.floor((b * gets) / blocks), g1 = Math.floor(((b + 1) * gets) / blocks);
            for (const g of order) {
                ctx.deadline.check();
                const lat = g.rec.op("member-add").lat.length;
                await phase(g, "patch", () => memberPairs(ctx, server, g.id, spareIds.slice(p0, p1), p0, g.rec, statuses));
                await phase(g, "get", () => groupGets(ctx, server, g.id, g.name, g1 - g0, g.rec));
                g.blockP50.push(latencyStats(g.rec.op("member-add").lat.slice(lat)).p50);
            }
            note(`${server.name}: block ${b + 1}/${blocks} done (pairs ${p0}-${p1})`);
        }
    } finally {
        if (sampler) clearInterval(sampler);
    }
    rss.push(rssKiB(server.pid));
    const rssValid = rss.filter((x) => x != null);
    out.rssMedianKiB = median(rssValid);
    out.rssMaxKiB = rssValid.length ? Math.max(...rssValid) : null;

    // 5. Figures and ratios
    out.groups = {};
    for (const [key, g] of Object.entries(groups)) {
        const ops = g.rec.summary();
        const all = latencyStats(PATCH_OPS.flatMap((o) => g.rec.op(o).lat));
        const perReq = (c, k) => (c[k] != null && c.requests ? c[k] / c.requests : null);
        out.groups[key] = {id: g.id, displayName: g.name, members: g.ids.length, fill: g.fill, ops, allPatches: all, addBlockP50: g.blockP50,
            cpu: {patchServerMsPerReq: perReq(g.cpu.patch, "serverMs"), patchDbMsPerReq: perReq(g.cpu.patch, "dbMs"),
                getServerMsPerReq: perReq(g.cpu.get, "serverMs"), getDbMsPerReq: perReq(g.cpu.get, "dbMs")},
            patchPerSec: g.cpu.patch.requests / (g.cpu.patch.wallMs / 1000), getPerSec: g.cpu.get.requests / (g.cpu.get.wallMs / 1000),
            sql: wantSql ? {patch: sqlReport(g.sql.patch), get: sqlReport(g.sql.get)} : null};
    }
    const {small, big} = out.groups;
    const ratio = (a, b) => (a != null && b ? a / b : null);
    out.ratios = {};
    for (const o of GROUP_OPS) out.ratios[o] = {p50: ratio(big.ops[o]?.p50, small.ops[o]?.p50), p99: ratio(big.ops[o]?.p99, small.ops[o]?.p99)};
    out.ratios[ALL_PATCHES] = {p50: ratio(big.allPatches.p50, small.allPatches.p50), p99: ratio(big.allPatches.p99, small.allPatches.p99)};
    out.ratios.patchServerCpu = ratio(big.cpu.patchServerMsPerReq, small.cpu.patchServerMsPerReq);
    out.ratios.patchDbCpu = ratio(big.cpu.patchDbMsPerReq, small.cpu.patchDbMsPerReq);
    out.worstPatchP50Ratio = Math.max(...[...PATCH_OPS, ALL_PATCHES].map((o) => out.ratios[o].p50 ?? Infinity));
    out.withinTarget = out.worstPatchP50Ratio <= 1.5;
    out.patchStatuses = Object.fromEntries(statuses);

    // 6. After the run each group must hold exactly its original members (every add was undone)
    out.postChecks = {small: await checkMembers(server, groups.small.id, groups.small.ids), big: await checkMembers(server, groups.big.id, groups.big.ids)};

    // Report
    const rowsFor = (key) => [...GROUP_OPS.filter((o) => out.groups[key].ops[o]).map((o) => {
        const s = out.groups[key].ops[o];
        return [key, o, s.count, s.errors, s.bad, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.mean, 2)];
    }), [key, ALL_PATCHES, out.groups[key].allPatches.count, "", "", fmt(out.groups[key].allPatches.p50, 2), fmt(out.groups[key].allPatches.p99, 2), fmt(out.groups[key].allPatches.mean, 2)]];
    log(table(["group", "operation", "count", "errors", "bad", "p50 ms", "p99 ms", "mean ms"], [...rowsFor("small"), ...rowsFor("big")]));
    for (const key of ["small", "big"]) printSamples(`${key} group`, out.groups[key].ops);
    log("");
    const lat = (key, o, p) => (o === ALL_PATCHES ? out.groups[key].allPatches[p] : out.groups[key].ops[o]?.[p]);
    log(table(["operation", "", `small p50`, "big p50", "big/small p50", "small p99", "big p99", "big/small p99"],
        [...GROUP_OPS, ALL_PATCHES].map((o) => [o, "", fmt(lat("small", o, "p50"), 2), fmt(lat("big", o, "p50"), 2), `${fmt(out.ratios[o].p50, 2)}x`,
            fmt(lat("small", o, "p99"), 2), fmt(lat("big", o, "p99"), 2), `${fmt(out.ratios[o].p99, 2)}x`])));
    log(`   member-add p50 per block: small ${small.addBlockP50.map((x) => fmt(x, 1)).join(" ")}; big ${big.addBlockP50.map((x) => fmt(x, 1)).join(" ")}`);
    const cpuLine = (key) => {
        const c = out.groups[key].cpu;
        const g = out.groups[key];
        return `${key} PATCH ${fmt(c.patchServerMsPerReq, 2)} ms app${c.patchDbMsPerReq != null ? ` + ${fmt(c.patchDbMsPerReq, 2)} ms database` : ""} (${fmt(g.patchPerSec, 0)} PATCH/s), GET ${fmt(c.getServerMsPerReq, 2)} ms app${c.getDbMsPerReq != null ? ` + ${fmt(c.getDbMsPerReq, 2)} ms database` : ""} (${fmt(g.getPerSec, 0)} GET/s)`;
    };
    log(`   CPU per request and throughput: ${cpuLine("small")}; ${cpuLine("big")}`);
    const nonStandard = Object.entries(out.patchStatuses).filter(([st]) => st !== "204");
    if (nonStandard.length) log(`   PATCH answers by status: ${Object.entries(out.patchStatuses).map(([st, n]) => `${st}: ${n}`).join(", ")}${peer ? " (the peer answers 200 with the whole group, members included)" : ""}`);
    log(`   membership PATCH p50 big/small: worst ${fmt(out.worstPatchP50Ratio, 2)}x (target <= 1.5x)${out.withinTarget ? "" : "  ABOVE TARGET"}; GET ?excludedAttributes=members p50 ${fmt(out.ratios["get-excluded"].p50, 2)}x`);
    log(`   fill: ${users.length} users at ${fmt(f.createsPerSec, 0)} creates/s; big group: ${groups.big.fill.requests} PATCHes of ${cfg.groupChunk} members in ${fmt(groups.big.fill.wallS, 1)} s, PATCH p50 ${fmt(groups.big.fill.p50, 1)} ms, first 10 mean ${fmt(groups.big.fill.firstTenMeanMs, 1)} ms, last 10 mean ${fmt(groups.big.fill.lastTenMeanMs, 1)} ms`);
    if (server.pid) {
        log(`   RSS: start ${mib(out.rssStartKiB)}, after the user fill ${mib(out.rssAfterUserFillKiB)}, after the member fill ${mib(out.rssAfterMemberFillKiB)}, while measuring median ${mib(out.rssMedianKiB)} (max ${mib(out.rssMaxKiB)})`);
    }
    for (const [key, c] of Object.entries(out.postChecks)) {
        log(`   check: GET the ${key} group with members: ${c.ok ? `${c.members} members as expected` : `WRONG: ${c.problem}`} (${fmt(c.ms, 0)} ms, ${(c.bytes / 2 ** 20).toFixed(1)} MiB)`);
    }
    if (wantSql) {
        for (const key of ["small", "big"]) {
            for (const kind of ["patch", "get"]) {
                const r = out.groups[key].sql[kind];
                if (!r) continue;
                log(`   SQL statements per ${kind === "patch" ? "membership PATCH" : "GET"} on the ${key} group: ${r.statementsPerRequest.toFixed(2)}`);
                for (const x of r.top) log(`     ${x.perRequest.toFixed(2).padStart(6)}  ${x.shape}`);
            }
        }
    }
    const failed = Object.values(out.groups).some((g) => Object.values(g.ops).some((s) => s.errors || s.bad))
        || !out.postChecks.small.ok || !out.postChecks.big.ok;
    out.valid = !failed;
    return out;
}

export async function groupsMode(ctx, servers, result) {
    let valid = true;
    for (const server of servers) {
        try {
            const r = await groupsForServer(ctx, server);
            result.groups.push(r);
            if (!r.valid) valid = false;
        } catch (err) {
            if (!(err instanceof GroupSetupError)) throw err;
            log(`groups on ${server.name}: ${err.message}`);
            result.groups.push({server: server.name, failed: err.message});
            valid = false;
        }
    }
    return valid;
}
