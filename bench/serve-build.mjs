#!/usr/bin/env node
// Serves a build of ours as the cycle benchmark's "peer", for A/B runs: two builds under the same
// load in the same minutes, alternating round by round, so that the machine's noise hits both alike.
// CHECKOUT is a checkout of the project with `npm ci && npm run build` done in it (for an older
// commit: `git worktree add /tmp/base <commit>`). The build gets a MariaDB database of its own, a
// tenant and a SCIM token from its own CLI, and the cycle benchmark's lifted limits; this prints
// the options for `npm run bench`, then serves until Ctrl-C or SIGTERM and drops the database.
//
//   node bench/serve-build.mjs /tmp/base                        # prints --peer-url … --peer-token … --peer-pid …
//   npm run bench -- --peer-url … --peer-token … --peer-pid …   # ours/peer is then this build against the base
//   node bench/serve-build.mjs /tmp/base -- --max-semi-space-size=8   # other Node flags for the served build
//
// Without `--`, the build runs with the Node flags of its own `npm start` (its package.json).
//
// BENCH_MYSQL_URL as for npm run bench (default mysql://root@127.0.0.1:3306/).
import path from "node:path";
import mysql from "mysql2/promise";
import {LIFTED_TENANT_LIMITS, cli, cliJson, generatedSecrets, startApp, startFlags} from "./lib/app.mjs";

const [checkout, separator, ...nodeArgs] = process.argv.slice(2);
if (!checkout || (separator !== undefined && separator !== "--")) {
    console.error("usage: node bench/serve-build.mjs CHECKOUT [-- NODE_FLAGS...]");
    process.exit(2);
}
const root = path.resolve(checkout);
const dist = path.join(root, "dist");
const server = new URL(process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/");
const name = `atea_base_${process.pid}`;
const admin = await mysql.createConnection({uri: server.toString()});
await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
let app;
const stop = async (code) => {
    await app?.stop();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    process.exit(code);
};
try {
    const url = new URL(server.toString());
    url.pathname = `/${name}`;
    const env = {...process.env, DATABASE_URL: url.toString(), NODE_ENV: "production", LOG_LEVEL: "warn", METRICS_PORT: "off"};
    Object.assign(env, await generatedSecrets(env, {dist}));
    await cli(env, ["migrate"], {dist});
    await cli(env, ["tenant:create", "--slug", "bench", "--name", "Bench"], {dist});
    const {token} = await cliJson(env, ["scim-token:create", "--tenant", "bench"], {dist});
    // As the cycle benchmark starts ours: one tenant sending as fast as it can, its limits lifted.
    app = await startApp({
        env: {...env, ...LIFTED_TENANT_LIMITS},
        dist,
        nodeArgs: separator === undefined ? startFlags(root) : nodeArgs,
        stdio: ["ignore", "ignore", "inherit"],
    });
    console.log(`--peer-url ${app.url}/scim/v2 --peer-token ${token} --peer-pid ${app.pid}`);
} catch (error) {
    console.error(error.message);
    await stop(1);
}
process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));
