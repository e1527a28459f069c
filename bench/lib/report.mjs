// Reporting: text tables on stdout and the JSON result file.
import fs from "node:fs";
import path from "node:path";
import {log} from "./processes.mjs";

export const OPS = ["query-miss", "create", "query-hit", "patch", "deactivate", "lookup-hit", "lookup-miss"];
export const fmt = (v, d = 1) => (v == null ? "-" : v.toFixed(d));

export function table(headers, rows) {
    const w = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
    const line = (r) => r.map((c, i) => (i === 0 || i === 1 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  ");
    return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

export function opRows(label, summary) {
    return OPS.filter((o) => summary[o]).map((o) => {
        const s = summary[o];
        return [label, o, s.count, s.errors, s.bad, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.mean, 2)];
    });
}

export function printSamples(label, summary) {
    for (const o of Object.keys(summary)) {
        const s = summary[o];
        if (s.errors || s.bad) {
            log(`  ${label} ${o}: ${s.errors} errors, ${s.bad} bad responses; samples:`);
            for (const x of s.samples) log(`    ${x}`);
        }
    }
}

/** Writes the result as `<stamp>.json` in `dir`; returns the file's path. */
export function writeResult(dir, stamp, result) {
    fs.mkdirSync(dir, {recursive: true});
    const file = path.join(dir, `${stamp}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
    return file;
}
