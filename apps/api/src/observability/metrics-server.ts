import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { AggregatorRegistry, register } from 'prom-client';
import type { AppConfig } from '@app/config';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** True when the Authorization header carries the metrics token (compared in constant time). */
function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

/**
 * In a cluster worker: answer the primary's requests for this worker's metrics (prom-client installs
 * the listener when an AggregatorRegistry is made).
 */
export function reportMetricsToPrimary(): void {
  new AggregatorRegistry();
}

/**
 * Serves `GET /metrics` (Prometheus text) on METRICS_HOST:METRICS_PORT, apart from the API port, so
 * that the public load balancer never exposes it; with METRICS_TOKEN set it also wants that bearer
 * token. With `cluster`, the primary answers with the sum of its workers' metrics. A port that cannot
 * be taken is logged and the service runs on without metrics. Resolves to the server, or undefined.
 */
export async function serveMetrics(config: AppConfig, options: { cluster?: boolean } = {}): Promise<Server | undefined> {
  const port = config.metricsPort;
  if (port === undefined) return undefined;
  const logger = new Logger('Metrics');
  const aggregator = options.cluster ? new AggregatorRegistry() : undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
    if (config.METRICS_TOKEN && !authorized(req.headers.authorization, config.METRICS_TOKEN)) {
      return void res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer' }).end('Unauthorized\n');
    }
    (aggregator ? aggregator.clusterMetrics() : register.metrics()).then(
      (text) => res.writeHead(200, { 'Content-Type': register.contentType }).end(text),
      (error: Error) => {
        logger.error(`Metrics could not be collected: ${error.message}`);
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Metrics could not be collected\n');
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.METRICS_HOST, () => resolve());
    });
  } catch (error) {
    logger.error(`Metrics are not served: ${config.METRICS_HOST}:${port}: ${(error as Error).message}`);
    return undefined;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.log(`Prometheus metrics: http://${host}:${address.port}/metrics${config.METRICS_TOKEN ? ' (bearer token required)' : ''}`);
  return server;
}

/** Stops the metrics server (at shutdown). */
export function closeMetrics(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
