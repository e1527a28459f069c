import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  register,
  type CounterConfiguration,
  type LabelValues,
  type Metric,
  type MetricValueWithName,
} from 'prom-client';
import { Database } from '@app/database';

/** The doors a rate limit guards, as the `door` label of `rate_limit_rejections_total`. */
export type RateLimitedDoor = 'scim' | 'oauth-token' | 'admin-auth' | 'login';

/** What a mysql2 pool exposes about its connections (not in its types). */
interface PoolState {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/**
 * A counter of the request path: increments are tallied in a plain map by a key the caller builds
 * (one string per label set) and added to the prom-client counter when it is read (scrape, cluster
 * aggregation). prom-client checks and hashes the label set on every labelled `inc`, which the
 * request path would pay several times a request.
 */
class TalliedCounter<T extends string> {
  private readonly tally = new Map<string, { labels: LabelValues<T>; count: number }>();
  readonly counter: Counter<T>;

  constructor(configuration: CounterConfiguration<T>) {
    const tally = this.tally;
    this.counter = new Counter<T>({
      ...configuration,
      collect() {
        for (const entry of tally.values()) {
          if (entry.count === 0) continue;
          this.inc(entry.labels, entry.count);
          entry.count = 0;
        }
      },
    });
  }

  /** One more for the label set `key` names; `labels` is called only the first time the key is seen. */
  inc(key: string, labels: () => LabelValues<T>): void {
    const entry = this.tally.get(key);
    if (entry) entry.count++;
    else this.tally.set(key, { labels: labels(), count: 1 });
  }
}

/**
 * A histogram of the request path, kept in plain arrays per label set (found by a key the caller
 * builds) and written out by prom-client's registry as its own histograms are: prom-client's
 * `observe` validates and hashes the label set on every call. It takes part in the cluster's
 * aggregation (summed, as histograms are) and in `register.resetMetrics()`.
 */
class TalliedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<string, string>; buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    register.registerMetric(this as unknown as Metric);
  }

  /** One observation for the label set `key` names; `labels` is called only the first time the key is seen. */
  observe(key: string, labels: () => Record<string, string>, value: number): void {
    let series = this.series.get(key);
    if (!series) {
      series = { labels: labels(), buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    series.sum += value;
    series.count++;
    // The first bucket whose bound holds the value; above the last bound, only +Inf (the count) holds it.
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]) {
        series.buckets[i]++;
        break;
      }
    }
  }

  /** The series in prom-client's form: cumulative `_bucket` lines (with `le` first), `_sum` and `_count`. */
  async get(): Promise<{ name: string; help: string; type: string; values: MetricValueWithName<string>[]; aggregator: string }> {
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += buckets[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

/**
 * The process's metrics, in prom-client's global registry (which the cluster primary aggregates
 * across workers). Created once per process: several apps in one process (tests) share them.
 * Labels are bounded: route patterns, never raw URLs; tenant ids (thousands at most), never user ids.
 */
class ProcessMetrics {
  readonly httpRequests = new TalliedCounter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
  });
  readonly httpDuration = new TalliedHistogram(
    'http_request_duration_seconds',
    'Time from the request arriving to the response being sent, by method and route pattern',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly scimOperations = new TalliedCounter({
    name: 'scim_operations_total',
    help: 'SCIM operations on Users and Groups, by tenant id, resource type and operation (list, get, create, replace, patch, delete)',
    labelNames: ['tenant', 'resource', 'operation'] as const,
  });
  readonly scimFailures = new TalliedCounter({
    name: 'scim_operation_failures_total',
    help: 'SCIM operations on Users and Groups answered with an error status (4xx or 5xx), by tenant id, resource type, operation and status',
    labelNames: ['tenant', 'resource', 'operation', 'status'] as const,
  });
  readonly rateLimited = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests refused by a rate limit (429), by door (scim, oauth-token, admin-auth, login) and tenant id when known',
    labelNames: ['door', 'tenant'] as const,
  });
  readonly pools = new Set<PoolState>();

  constructor() {
    const pools = this.pools;
    const sum = (read: (pool: PoolState) => number) => [...pools].reduce((total, pool) => total + read(pool), 0);
    new Gauge({
      name: 'db_pool_connections',
      help: 'Connections of the MySQL pool, by state: busy (lent to a query) or idle',
      labelNames: ['state'] as const,
      collect() {
        const open = sum((p) => p._allConnections?.length ?? 0);
        const idle = sum((p) => p._freeConnections?.length ?? 0);
        this.set({ state: 'busy' }, open - idle);
        this.set({ state: 'idle' }, idle);
      },
    });
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'Most connections the MySQL pool opens',
      collect() {
        this.set(sum((p) => p.config?.connectionLimit ?? 0));
      },
    });
    new Gauge({
      name: 'db_pool_waiting_requests',
      help: 'Requests waiting for a MySQL pool connection (all connections busy)',
      collect() {
        this.set(sum((p) => p._connectionQueue?.length ?? 0));
      },
    });
    // process_*, nodejs_heap_*, nodejs_eventloop_lag_* (event-loop delay), nodejs_gc_* …
    collectDefaultMetrics();
  }
}

let processMetrics: ProcessMetrics | undefined;
export function metrics(): ProcessMetrics {
  processMetrics ??= new ProcessMetrics();
  return processMetrics;
}

/** The Prometheus text of this process's registry. */
export function metricsText(): Promise<string> {
  return register.metrics();
}
export const METRICS_CONTENT_TYPE = register.contentType;

const SCIM_RESOURCE = /^\/scim\/v2\/(Users|Groups)(\/:id)?$/i;
const SCIM_OPERATIONS: Record<string, [collection: string | undefined, item: string | undefined]> = {
  GET: ['list', 'get'],
  POST: ['create', undefined],
  PUT: [undefined, 'replace'],
  PATCH: [undefined, 'patch'],
  DELETE: [undefined, 'delete'],
};

/** The SCIM resource type and operation a request on a route pattern is, or undefined when it is none. */
export function scimOperation(method: string, route: string): { resource: string; operation: string } | undefined {
  const match = SCIM_RESOURCE.exec(route);
  const operation = match && SCIM_OPERATIONS[method]?.[match[2] ? 1 : 0];
  return operation ? { resource: match[1], operation } : undefined;
}

/** The SCIM operation of each method and route pattern seen (route patterns are bounded), null for none. */
const scimOperations = new Map<string, { resource: string; operation: string } | null>();

/** One answered HTTP request, for the request and SCIM metrics. */
export function recordRequest(request: { method: string; route: string; status: number; seconds: number; tenantId?: string }): void {
  const m = metrics();
  const { method, route } = request;
  const status = String(request.status);
  const methodRoute = `${method} ${route}`;
  m.httpRequests.inc(`${methodRoute} ${status}`, () => ({ method, route, status }));
  m.httpDuration.observe(methodRoute, () => ({ method, route }), request.seconds);
  let scim = scimOperations.get(methodRoute);
  if (scim === undefined) {
    scim = scimOperation(method, route) ?? null;
    scimOperations.set(methodRoute, scim);
  }
  if (!scim) return;
  const tenant = request.tenantId ?? 'none';
  const key = `${tenant} ${scim.resource} ${scim.operation}`;
  m.scimOperations.inc(key, () => ({ tenant, ...scim }));
  if (request.status >= 400) m.scimFailures.inc(`${key} ${status}`, () => ({ tenant, ...scim, status }));
}

/**
 * The metrics services feed: rate-limit rejections, and the database pool's use (read at each
 * scrape from the pool of this app's MySQL connection; the SQLite default has no pool).
 */
@Injectable()
export class Metrics implements OnModuleInit, OnModuleDestroy {
  private pool: PoolState | undefined;

  constructor(private readonly db: Database) {}

  onModuleInit(): void {
    this.pool = this.db.kind === 'mysql' ? ((this.db.dataSource.driver as unknown as { pool?: PoolState }).pool ?? undefined) : undefined;
    if (this.pool) metrics().pools.add(this.pool);
  }

  onModuleDestroy(): void {
    if (this.pool) metrics().pools.delete(this.pool);
  }

  /** A request refused by a rate limit; the tenant when the door knows it (never a user or client id). */
  rateLimited(door: RateLimitedDoor, tenantId?: string): void {
    metrics().rateLimited.inc({ door, tenant: tenantId ?? 'none' });
  }
}
