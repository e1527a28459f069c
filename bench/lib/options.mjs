// provision-load's command line: the usage text, the options and their checks.
import path from "node:path";
import {parseArgs} from "node:util";
import {ROOT} from "./app.mjs";

const BENCH_DIR = path.join(ROOT, "bench");

export const USAGE = `usage: node bench/provision-load.mjs [options]

Cycle mode (default): an initial and an incremental Entra provisioning cycle against our app
(MariaDB) and the scimmy-peer, alternating servers, each scenario repeated --rounds times.
  --users N              users per cycle and round (default 2000)
  --concurrency C        requests in flight, one user per worker (default 16)
  --rounds R             repetitions of each scenario, server order alternating (default 2)
  --warmup N             users run through both cycles on each server before measuring (default 500)
  --only ours|peer|both  which servers to run (default both)
  --string-booleans      deactivate with "active":"False" (an Entra variant) instead of false;
                         the peer answers that with 400 invalidValue

Scale mode:
  --scale                fill our app (and the peer with --scale-peer) to --scale-users users,
                         measuring userName lookups (hit and miss) and RSS at --scale-base and at the end
  --scale-users N        users at the large point (default 100000)
  --scale-base N         users at the small point (default 1000)
  --lookups N            lookups per measurement block, half hits, half misses (default 2000)
  --lookup-blocks K      measurement blocks per point, after a warm-up of 2 x --lookups; the
                         reported p50/p99 are medians over the blocks (default 3)
  --scale-peer           also run scale mode against the peer

Operations mode:
  --operations           each Entra operation on its own, --users requests per phase and --rounds
                         rounds, ours only unless --only peer: query-miss, create, query-hit, patch,
                         deactivate, and GET /ServiceProviderConfig (no database); reports req/s,
                         latency and the server's (and MariaDB's) CPU per request of each

Groups mode:
  --groups               fill our app (and the peer with --group-peer) with --group-users users plus
                         spare users, put all of them in a big group (PATCH add, --group-chunk members
                         per request) and --group-small of them in a small group, then measure on both groups
                         Entra's membership PATCHes (add one member, remove it with
                         {"op":"Remove","path":"members","value":[…]} or "members[value eq …]") and
                         GET /Groups/{id}?excludedAttributes=members; reports big/small ratios
  --group-users N        members of the big group (default 100000)
  --group-small N        members of the small group (default 10)
  --group-pairs N        measured add/remove pairs per group, each on a spare user that is not a member
                         (default 1000; removes alternate between the two forms)
  --group-gets N         measured GETs per group (default 1000)
  --group-warmup N       unmeasured add/remove pairs (and 2N GETs) per group first (default 100)
  --group-blocks K       the measurement runs in K blocks alternating the group order (default 4)
  --group-chunk N        members per PATCH when filling the big group (default 1000)
  --group-peer           also run groups mode against the peer
  --group-peer-users N   members of the peer's big group (default 2000: its membership PATCH costs
                         O(members), about 0.3 ms of CPU per member, so 100000 would not finish)
  --group-peer-pairs N   pairs and GETs per group on the peer (default 50)

Servers:
  --target-url URL       use an already-running server as "ours" (SCIM base, e.g. http://127.0.0.1:3000/scim/v2)
  --target-token TOKEN   its bearer token
  --target-pid PID       its process id, for RSS figures (optional)
  --peer-url URL, --peer-token TOKEN   use an already-running peer instead of starting one
  --peer-pid PID         its process id, for its CPU and RSS figures (optional); with
                         bench/serve-build.mjs the "peer" can be another build of ours (an A/B run)
  --peer-dir DIR         where the peer is installed (default bench/.peer; copied from --peer-src and
                         'npm ci'-ed there when missing)
  --peer-src DIR         the peer's source folder (default ../shared/peers/scimmy-peer)
  --peer-index on|off    passed to the peer (off = full-scan filters, to show what --scale detects)
  --count-sql            put a counting proxy between our app and the database and report SQL
                         statements per request and the most frequent statement shapes (adds latency:
                         a diagnostic, not for throughput figures)
  --profile              run our app with --cpu-prof (profile in the results dir when it exits on SIGTERM)
  --build                compile the current source into bench/.cache/build (nest build with
                         bench/tsconfig.build.json) and run that, leaving dist/ alone
  --use-dist             run our app straight from dist/ (default: from a snapshot copy of dist/ in
                         bench/.cache/, so a rebuild in the tree during the run cannot break it)

Safety and output:
  --duration-limit S     abort the whole run after S seconds (default 1800, 3600 with --scale or --groups)
  --request-timeout S    per-request timeout in seconds (default 60, as Entra)
  --results-dir DIR      where the JSON result and the server log go (default bench/results)

Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/) - the server our app's
bench database is created on (atea_bench_<pid>, dropped at exit).`;

export function usage(message) {
    console.error(`${message}\n\n${USAGE}`);
    process.exit(2);
}

/**
 * The parsed options (`opt`, as parseArgs gives them) and the checked figures. Prints the usage and
 * exits on --help (status 0) or on an invalid option (status 2).
 */
export function parseOptions() {
    const {values: opt} = parseArgs({
        options: {
            users: {type: "string", default: "2000"},
            concurrency: {type: "string", default: "16"},
            rounds: {type: "string", default: "2"},
            warmup: {type: "string", default: "500"},
            only: {type: "string", default: "both"},
            "string-booleans": {type: "boolean", default: false},
            scale: {type: "boolean", default: false},
            "scale-users": {type: "string", default: "100000"},
            "scale-base": {type: "string", default: "1000"},
            lookups: {type: "string", default: "2000"},
            "lookup-blocks": {type: "string", default: "3"},
            "scale-peer": {type: "boolean", default: false},
            operations: {type: "boolean", default: false},
            groups: {type: "boolean", default: false},
            "group-users": {type: "string", default: "100000"},
            "group-small": {type: "string", default: "10"},
            "group-pairs": {type: "string", default: "1000"},
            "group-gets": {type: "string", default: "1000"},
            "group-warmup": {type: "string", default: "100"},
            "group-blocks": {type: "string", default: "4"},
            "group-chunk": {type: "string", default: "1000"},
            "group-peer": {type: "boolean", default: false},
            "group-peer-users": {type: "string", default: "2000"},
            "group-peer-pairs": {type: "string", default: "50"},
            "target-url": {type: "string"},
            "target-token": {type: "string"},
            "target-pid": {type: "string"},
            "peer-url": {type: "string"},
            "peer-token": {type: "string"},
            "peer-pid": {type: "string"},
            "peer-dir": {type: "string", default: path.join(BENCH_DIR, ".peer")},
            "peer-src": {type: "string", default: path.resolve(ROOT, "..", "shared", "peers", "scimmy-peer")},
            "peer-index": {type: "string", default: "on"},
            "use-dist": {type: "boolean", default: false},
            build: {type: "boolean", default: false},
            profile: {type: "boolean", default: false},
            "count-sql": {type: "boolean", default: false},
            "duration-limit": {type: "string"},
            "request-timeout": {type: "string", default: "60"},
            "results-dir": {type: "string", default: path.join(BENCH_DIR, "results")},
            help: {type: "boolean", short: "h", default: false},
        },
    });

    if (opt.help) {
        console.log(USAGE);
        process.exit(0);
    }

    const intOpt = (name, min, max) => {
        const n = Number(opt[name]);
        if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer in [${min}, ${max}]`);
        return n;
    };

    const cfg = {
        opt,
        users: intOpt("users", 1, 1_000_000),
        concurrency: intOpt("concurrency", 1, 512),
        rounds: intOpt("rounds", 1, 10),
        warmup: intOpt("warmup", 0, 100_000),
        scaleUsers: intOpt("scale-users", 1, 5_000_000),
        scaleBase: intOpt("scale-base", 1, 5_000_000),
        lookups: intOpt("lookups", 2, 1_000_000),
        lookupBlocks: intOpt("lookup-blocks", 1, 20),
        groupUsers: intOpt("group-users", 1, 5_000_000),
        groupSmall: intOpt("group-small", 1, 5_000_000),
        groupPairs: intOpt("group-pairs", 1, 1_000_000),
        groupGets: intOpt("group-gets", 1, 1_000_000),
        groupWarmup: intOpt("group-warmup", 0, 1_000_000),
        groupBlocks: intOpt("group-blocks", 1, 100),
        groupChunk: intOpt("group-chunk", 1, 100_000),
        groupPeerUsers: intOpt("group-peer-users", 1, 5_000_000),
        groupPeerPairs: intOpt("group-peer-pairs", 1, 1_000_000),
        requestTimeoutMs: intOpt("request-timeout", 1, 600) * 1000,
    };
    if ([opt.scale, opt.groups, opt.operations].filter(Boolean).length > 1) usage("--scale, --groups and --operations are separate modes: pick one");
    if (opt["duration-limit"] === undefined) opt["duration-limit"] = opt.scale || opt.groups ? "3600" : "1800";
    cfg.durationLimitS = intOpt("duration-limit", 1, 24 * 3600);
    if (!["ours", "peer", "both"].includes(opt.only)) usage("--only must be ours, peer or both");
    if (!["on", "off"].includes(opt["peer-index"])) usage("--peer-index must be on or off");
    if (cfg.scaleBase >= cfg.scaleUsers) usage("--scale-base must be smaller than --scale-users");
    if (cfg.groupSmall >= Math.min(cfg.groupUsers, cfg.groupPeerUsers)) usage("--group-small must be smaller than --group-users and --group-peer-users");
    if (opt["target-url"] && !opt["target-token"]) usage("--target-url needs --target-token");
    if (opt["peer-url"] && !opt["peer-token"]) usage("--peer-url needs --peer-token");

    cfg.wantOurs = opt.only !== "peer";
    cfg.wantPeer = opt.scale ? (opt["scale-peer"] || opt.only === "peer")
        : opt.groups ? (opt["group-peer"] || opt.only === "peer")
        : opt.operations ? opt.only === "peer" : opt.only !== "ours";
    cfg.stringBooleans = opt["string-booleans"];
    return cfg;
}
