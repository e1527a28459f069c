// Statistics: percentiles, medians and the per-operation Recorder of latencies and failures.

export function percentile(sorted, p) {
    if (!sorted.length) return null;
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export class Recorder {
    constructor() {
        this.ops = new Map();
        this.requests = 0;
    }

    op(name) {
        let s = this.ops.get(name);
        if (!s) this.ops.set(name, (s = {count: 0, errors: 0, bad: 0, lat: [], samples: []}));
        return s;
    }

    /**
     * Record a response. Non-2xx (or transport failure) = error. A 2xx whose body does not
     * satisfy `check` (returns a string describing what is wrong) = bad. Returns the parsed body
     * when the response is good, else null.
     */
    record(name, res, check) {
        const s = this.op(name);
        s.count++;
        this.requests++;
        s.lat.push(res.ms);
        const sample = (why) => {
            if (s.samples.length < 5) {
                s.samples.push(`${res.method} ${res.path} -> ${res.status || res.error} ${why ? `[${why}] ` : ""}${(res.body || "").slice(0, 400)}`);
            }
        };
        if (!(res.status >= 200 && res.status < 300)) {
            s.errors++;
            sample("");
            return null;
        }
        let body = null;
        if (res.body) {
            try {
                body = JSON.parse(res.body);
            } catch {
                body = undefined;
            }
        }
        const problem = check ? check(body, res) : null;
        if (problem) {
            s.bad++;
            sample(problem);
            return null;
        }
        return body ?? {};
    }

    summary() {
        const out = {};
        for (const [name, s] of this.ops) {
            const sorted = Float64Array.from(s.lat).sort();
            const sum = sorted.reduce((a, b) => a + b, 0);
            out[name] = {
                count: s.count,
                errors: s.errors,
                bad: s.bad,
                p50: percentile(sorted, 50),
                p99: percentile(sorted, 99),
                mean: sorted.length ? sum / sorted.length : null,
                max: sorted.length ? sorted[sorted.length - 1] : null,
                samples: s.samples,
            };
        }
        return out;
    }

    /** Merge several recorders' raw latencies (for the all-rounds row). */
    static merge(recorders) {
        const m = new Recorder();
        for (const r of recorders) {
            m.requests += r.requests;
            for (const [name, s] of r.ops) {
                const t = m.op(name);
                t.count += s.count;
                t.errors += s.errors;
                t.bad += s.bad;
                for (const v of s.lat) t.lat.push(v);
                for (const x of s.samples) if (t.samples.length < 5) t.samples.push(x);
            }
        }
        return m;
    }
}

export const median = (xs) => {
    const v = xs.filter((x) => x != null).sort((a, b) => a - b);
    if (!v.length) return null;
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
