// HTTP client: keep-alive Agent, maxSockets = concurrency, hrtime latency; and the worker pool
// that sends a bounded number of requests.
import http from "node:http";

export function newAgent(concurrency) {
    return new http.Agent({keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, scheduling: "fifo"});
}

/**
 * One request to `server` ({url, basePath, token, requestTimeoutMs}). Resolves (never rejects) with
 * {status, body, ms, error}; status 0 = transport error. The JSON body is serialised before the clock starts.
 */
export function request(server, agent, method, pathAndQuery, json) {
    const payload = json === undefined ? null : Buffer.from(JSON.stringify(json));
    const headers = {
        Authorization: `Bearer ${server.token}`,
        Accept: "application/scim+json",
    };
    if (payload) {
        headers["Content-Type"] = "application/scim+json";
        headers["Content-Length"] = payload.length;
    }
    return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        const done = (status, body, error) =>
            resolve({status, body, error, ms: Number(process.hrtime.bigint() - t0) / 1e6, method, path: pathAndQuery});
        const req = http.request({
            host: server.url.hostname.replace(/^\[|\]$/g, ""),
            port: server.url.port,
            path: server.basePath + pathAndQuery,
            method,
            headers,
            agent,
        }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => done(res.statusCode, Buffer.concat(chunks).toString("utf8"), null));
            res.on("error", (err) => done(0, "", err.message));
        });
        req.setTimeout(server.requestTimeoutMs, () => req.destroy(new Error(`timeout after ${server.requestTimeoutMs} ms`)));
        req.on("error", (err) => done(0, "", err.message));
        req.end(payload ?? undefined);
    });
}

/** Run fn(i) for i in [0, count) on `concurrency` workers; bounded by count and by the Deadline. */
export async function pool(count, concurrency, deadline, fn) {
    let next = 0;
    let failed = null;
    const worker = async () => {
        while (failed === null) {
            const i = next++;
            if (i >= count) return;
            try {
                deadline.check();
                await fn(i);
            } catch (err) {
                failed = err;
            }
        }
    };
    await Promise.all(Array.from({length: Math.min(concurrency, count)}, worker));
    if (failed) throw failed;
}
