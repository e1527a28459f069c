// SQL counting proxy (--count-sql): MySQL protocol packets from the app to the database, counted
// by statement shape.
import net from "node:net";

function sqlShape(sql) {
    return sql
        .replace(/'(?:[^'\\]|\\.)*'/g, "?")
        .replace(/\b\d+(?:\.\d+)?\b/g, "?")
        .replace(/\s+/g, " ")
        .replace(/(\?, )+\?/g, "?, ...")
        .trim()
        .slice(0, 160);
}

export class SqlCounter {
    constructor() {
        this.statements = 0;
        this.shapes = new Map();
    }

    /** Forwards 127.0.0.1:<port> to the database at `target` (a URL), counting client command packets (sequence id 0); resolves with the port. */
    async listen(target) {
        const server = net.createServer((client) => {
            const upstream = net.connect(Number(target.port || 3306), target.hostname);
            let buf = Buffer.alloc(0);
            let handshakeDone = false;
            client.on("data", (chunk) => {
                upstream.write(chunk);
                buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
                while (buf.length >= 4) {
                    const len = buf.readUIntLE(0, 3);
                    if (buf.length < 4 + len) break;
                    const seq = buf[3];
                    const payload = buf.subarray(4, 4 + len);
                    buf = buf.subarray(4 + len);
                    if (!handshakeDone) {
                        handshakeDone = true; // the first client packet is the handshake response
                        continue;
                    }
                    if (seq !== 0 || !payload.length) continue;
                    const cmd = payload[0];
                    let shape = null;
                    if (cmd === 0x03) shape = sqlShape(payload.subarray(1).toString("utf8"));
                    else if (cmd === 0x16) shape = `PREPARE ${sqlShape(payload.subarray(1).toString("utf8"))}`;
                    else if (cmd === 0x17) shape = "EXECUTE (prepared)";
                    if (shape) {
                        this.statements++;
                        this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
                    }
                }
            });
            upstream.on("data", (chunk) => client.write(chunk));
            const close = () => {
                client.destroy();
                upstream.destroy();
            };
            client.on("error", close);
            upstream.on("error", close);
            client.on("close", close);
            upstream.on("close", close);
        });
        await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
        server.unref();
        return server.address().port;
    }

    snapshot() {
        return {statements: this.statements, shapes: new Map(this.shapes)};
    }

    delta(before, requests) {
        const shapes = [];
        for (const [k, v] of this.shapes) {
            const d = v - (before.shapes.get(k) ?? 0);
            if (d > 0) shapes.push({shape: k, count: d, perRequest: d / requests});
        }
        shapes.sort((a, b) => b.count - a.count);
        return {statementsPerRequest: (this.statements - before.statements) / requests, top: shapes.slice(0, 12)};
    }

    /** Adds the statements since `before` to `acc` ({requests, statements, shapes}), to sum a phase over blocks. */
    accumulate(acc, before, requests) {
        acc.requests += requests;
        acc.statements += this.statements - before.statements;
        for (const [k, v] of this.shapes) {
            const d = v - (before.shapes.get(k) ?? 0);
            if (d > 0) acc.shapes.set(k, (acc.shapes.get(k) ?? 0) + d);
        }
    }
}

/** Statements per request and the most frequent shapes of an accumulation; null without requests. */
export function sqlReport(acc) {
    if (!acc.requests) return null;
    const top = [...acc.shapes].map(([shape, count]) => ({shape, count, perRequest: count / acc.requests}))
        .sort((a, b) => b.count - a.count).slice(0, 12);
    return {requests: acc.requests, statementsPerRequest: acc.statements / acc.requests, top};
}
