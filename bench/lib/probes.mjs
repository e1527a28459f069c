// Resource probes from /proc: resident memory and CPU time of the servers and of the database.
import fs from "node:fs";

export function rssKiB(pid) {
    if (!pid) return null;
    try {
        const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) : null;
    } catch {
        return null;
    }
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; null when unknown. */
const CLK_TCK = 100; // USER_HZ on Linux
export function cpuMs(pid) {
    if (!pid) return null;
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // fields 14 and 15 (utime, stime)
    } catch {
        return null;
    }
}

/** The local MariaDB/MySQL server process, for its CPU time (it may be shared with other work). */
export function findDbPid() {
    try {
        for (const d of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(d)) continue;
            try {
                const comm = fs.readFileSync(`/proc/${d}/comm`, "utf8").trim();
                if (comm === "mariadbd" || comm === "mysqld") return Number(d);
            } catch { /* gone */ }
        }
    } catch { /* no /proc */ }
    return null;
}

/**
 * Snapshot CPU of the server (and, for ours, the database whose server process is `dbPid`) to
 * report CPU ms per request.
 */
export function cpuProbe(server, dbPid) {
    const ourDb = server.name === "ours" && !server.external ? dbPid : null;
    const a = cpuMs(server.pid);
    const b = cpuMs(ourDb);
    return (requests) => {
        const a2 = cpuMs(server.pid);
        const b2 = cpuMs(ourDb);
        return {
            serverCpuMsPerReq: a != null && a2 != null && requests ? (a2 - a) / requests : null,
            dbCpuMsPerReq: b != null && b2 != null && requests ? (b2 - b) / requests : null,
        };
    };
}

export const mib = (kib) => (kib == null ? "n/a" : `${(kib / 1024).toFixed(1)} MiB`);
