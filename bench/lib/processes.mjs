// Process bookkeeping of a benchmark run: the servers it started, the bench database and the dist/
// snapshot to remove, cleanup on every exit path, the run's deadline, and running commands.
import fs from "node:fs";
import {spawn, execFile} from "node:child_process";
import {ROOT} from "./app.mjs";

/** An expected stop of the run (deadline, a server that would not start): reported without a stack. */
export class Abort extends Error {}

export function log(...args) {
    console.log(...args);
}

export function note(message) {
    console.error(`[bench] ${message}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The whole run's time limit (--duration-limit): loops check it between requests. */
export class Deadline {
    constructor(limitS) {
        this.limitS = limitS;
        this.at = Date.now() + limitS * 1000;
    }

    check() {
        if (Date.now() > this.at) throw new Abort(`duration limit of ${this.limitS}s reached`);
    }
}

/** The servers this run started, and what cleanup() must remove: the bench database and the dist/ snapshot. */
export class Processes {
    constructor() {
        this.children = new Map(); // pid -> {name, child}
        this.benchDb = null; // {adminUrl, name}
        this.snapshotDir = null;
        this.cleanupPromise = null;
    }

    spawn(name, cmd, args, env, logFile) {
        const out = fs.openSync(logFile, "a");
        const child = spawn(cmd, args, {cwd: ROOT, env, stdio: ["ignore", out, out]});
        fs.closeSync(out);
        this.children.set(child.pid, {name, child});
        child.on("exit", (code, signal) => {
            if (this.children.has(child.pid)) note(`${name} (pid ${child.pid}) exited unexpectedly: code ${code}, signal ${signal}; see ${logFile}`);
            this.children.delete(child.pid);
        });
        return child;
    }

    async stop(pid) {
        const entry = this.children.get(pid);
        if (!entry) return;
        this.children.delete(pid);
        const {child} = entry;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = new Promise((resolve) => setTimeout(resolve, 5000, "timeout"));
        if ((await Promise.race([exited, timer])) === "timeout") {
            child.kill("SIGKILL");
            await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
        }
    }

    /** Last resort when something hangs: SIGKILL every server at once. */
    killAll() {
        for (const {child} of this.children.values()) child.kill("SIGKILL");
    }

    cleanup() {
        if (this.cleanupPromise) return this.cleanupPromise;
        this.cleanupPromise = (async () => {
            await Promise.all([...this.children.keys()].map((pid) => this.stop(pid)));
            if (this.benchDb) {
                const {adminUrl, name} = this.benchDb;
                this.benchDb = null;
                try {
                    const mysql = (await import("mysql2/promise")).default;
                    const conn = await mysql.createConnection({uri: adminUrl, connectTimeout: 5000});
                    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
                    await conn.end();
                    note(`dropped database ${name}`);
                } catch (err) {
                    note(`could not drop database ${name}: ${err.message}`);
                }
            }
            if (this.snapshotDir) {
                fs.rmSync(this.snapshotDir, {recursive: true, force: true});
                this.snapshotDir = null;
            }
        })();
        return this.cleanupPromise;
    }
}

export function run(cmd, args, {cwd = ROOT, env = process.env, timeoutMs = 120_000} = {}) {
    return new Promise((resolve) => {
        execFile(cmd, args, {cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL"},
            (err, stdout, stderr) => resolve({code: err ? (err.code ?? 1) : 0, killed: err?.killed ?? false, stdout, stderr}));
    });
}

/** The last line of stdout that parses as a JSON object (CLI output may be preceded by log lines). */
export function lastJson(stdout) {
    const lines = stdout.trim().split("\n").reverse();
    for (const line of lines) {
        try {
            const v = JSON.parse(line);
            if (v && typeof v === "object") return v;
        } catch { /* not JSON */ }
    }
    try {
        return JSON.parse(stdout);
    } catch {
        return null;
    }
}

export function tail(text, n = 20) {
    return text.trim().split("\n").slice(-n).join("\n");
}
