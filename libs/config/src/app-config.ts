import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the service reads, with its default. `.env.example` lists the same
 * variables; `loadConfig` validates them once at boot and fails listing every bad one.
 */
export class AppConfig {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** Base URL the service is reached at; the OAuth issuer and SCIM `meta.location` derive from it. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+(\/[^\s]*)?$/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL?: string;

  @Transform(emptyToUndefined)
  @Matches(/^(sqlite:.+|mysql:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<path> or mysql://user:pass@host:port/db',
  })
  DATABASE_URL: string = 'sqlite:./data/atea.sqlite';

  /** Connections each instance keeps to MySQL (the pool's size). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_POOL_SIZE: number = 20;

  /** How long opening a MySQL connection may take before the request is answered 503. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  DATABASE_CONNECT_TIMEOUT_MS: number = 5000;

  /** How long a request waits for a free pooled connection before it is answered 503. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  DATABASE_ACQUIRE_TIMEOUT_MS: number = 10_000;

  /**
   * How long one MySQL statement may take; past it the connection is dropped and the request is
   * answered 503 (a stalled server or network must not hold requests forever).
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_QUERY_TIMEOUT_MS: number = 15_000;

  /**
   * When the connection is lost while a write's COMMIT is under way, its outcome is unknown: the
   * service waits this long for the database to answer whether it was committed, and reports the
   * write's real outcome; past it, 503 (Entra's retry matches before it creates, so it is harmless).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(55_000)
  DATABASE_IN_DOUBT_WAIT_MS: number = 20_000;

  /** Apply pending migrations when the service starts. */
  @Transform(emptyToUndefined)
  @IsIn(['true', 'false'])
  DATABASE_MIGRATE_ON_START: string = 'true';

  @Transform(emptyToUndefined)
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  /** `json` (one JSON object a line), `pretty` (coloured text) or `auto`: pretty on a terminal, JSON otherwise. */
  @Transform(emptyToUndefined)
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: LogFormat = 'auto';

  /**
   * Port of the Prometheus endpoint (`GET /metrics`), served apart from the API so that it is never
   * reachable through the public load balancer; `off` serves none. `0` takes any free port.
   */
  @Transform(emptyToUndefined)
  @Matches(/^(off|\d{1,5})$/, { message: 'METRICS_PORT must be a port number or off' })
  METRICS_PORT: string = '9464';

  /** Address the metrics endpoint listens on: loopback unless scraped from another host. */
  @Transform(emptyToUndefined)
  @IsString()
  METRICS_HOST: string = '127.0.0.1';

  /** When set, the metrics endpoint also requires `Authorization: Bearer <METRICS_TOKEN>`. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\S{16,}$/, { message: 'METRICS_TOKEN must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  /**
   * On SIGTERM, seconds during which readiness fails while requests are still served, so that a load
   * balancer stops sending new ones before the port closes.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  SHUTDOWN_DELAY_SECONDS: number = 5;

  /** After the port closes, how long requests in flight may take to finish before their connections are cut. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600)
  SHUTDOWN_TIMEOUT_SECONDS: number = 25;

  /** Largest SCIM request body accepted, in bytes; larger bodies get 413. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  SCIM_MAX_BODY_BYTES: number = 1_048_576;

  /**
   * Deepest nesting of objects and arrays accepted in a JSON request body (SCIM and admin API);
   * deeper bodies get 400 before they are parsed.
   */
  @Transform(toInt)
  @IsInt()
  @Min(8)
  @Max(1000)
  JSON_MAX_DEPTH: number = 64;

  /** Most resources one SCIM list page returns (`count` is clamped to it). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SCIM_MAX_RESULTS: number = 1000;

  /**
   * Milliseconds a client has to send a whole request (headers and body); a request still incomplete
   * then gets 408 and its connection is closed, so stalled uploads cannot hold connections open.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS: number = 30_000;

  /** Milliseconds a client has to send the request line and headers (at most HTTP_REQUEST_TIMEOUT_MS). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  /**
   * Worker processes serving HTTP (MySQL only: the SQLite default always runs one). The service
   * keeps no state between requests, so workers share the port and the database.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WEB_CONCURRENCY: number = 1;

  /** Provisioning events older than this many days are deleted. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  EVENT_RETENTION_DAYS: number = 180;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  /**
   * Signing keys of the OAuth authorization server: a JWKS (`{"keys":[…]}`) of private keys, the first
   * of each algorithm signs. Required with MySQL; generated and persisted beside an SQLite database.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  OIDC_JWKS?: string;

  /** Keys signing the OAuth cookies, comma-separated, each at least 32 characters; the first signs, all verify. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[^,\s]{32,}(,[^,\s]{32,})*$/, { message: 'OIDC_COOKIE_KEYS must be comma-separated keys of at least 32 characters each' })
  OIDC_COOKIE_KEYS?: string;

  /**
   * AES-256-GCM keys encrypting client secrets at rest: comma-separated `<id>:<32 bytes in base64>`;
   * the first encrypts, every listed key decrypts.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9+/_-]{43}=?(,[A-Za-z0-9_-]{1,16}:[A-Za-z0-9+/_-]{43}=?)*$/, {
    message: 'SECRET_ENCRYPTION_KEY must be comma-separated <id>:<32 bytes in base64> entries',
  })
  SECRET_ENCRYPTION_KEY?: string;

  /** Lifetime of OAuth access tokens, in seconds (Entra accepts 60 minutes to 6 hours). */
  @Transform(toInt)
  @IsInt()
  @Min(3600)
  @Max(21600)
  ACCESS_TOKEN_TTL_SECONDS: number = 3600;

  /** Refresh tokens expire after this many days without use (each refresh starts the period again). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  REFRESH_TOKEN_TTL_DAYS: number = 90;

  /**
   * How long a refresh token that was already exchanged still works, in seconds, so that a client
   * which lost the answer can retry. After that, reusing it revokes the whole authorization.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(604_800)
  REFRESH_TOKEN_GRACE_SECONDS: number = 86_400;

  /** Consecutive wrong passwords that lock an account. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  LOGIN_MAX_FAILURES: number = 5;

  /** How long a locked account stays locked, in minutes. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  LOGIN_LOCKOUT_MINUTES: number = 15;

  /** Failed sign-ins from one IP address within 15 minutes before that address is slowed down. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  LOGIN_IP_MAX_FAILURES: number = 20;

  /**
   * Redis shared by every instance for rate-limit counters (redis://[:password@]host:6379[/db]).
   * Optional: without it each instance counts on its own (limits divided among WEB_CONCURRENCY
   * workers). When it stops answering, requests are let through and the problem is logged.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** SCIM requests per second a tenant may send (Entra sends at most about 25); support can set a tenant's own. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SCIM_RATE_LIMIT_PER_SECOND: number = 100;

  /** SCIM requests a tenant may send at once above its rate (the bucket's size). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SCIM_RATE_LIMIT_BURST: number = 200;

  /**
   * SCIM requests of one tenant this instance works on at once; the tenant's further requests wait
   * their turn (up to 256, then 429), so that one tenant's burst cannot crowd out the others.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  SCIM_CONCURRENCY_PER_TENANT: number = 2;

  /** Token requests per minute one OAuth client (or one address, when no client is named) may send to /oauth/token. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE: number = 60;

  /** Failed admin-API authentications one address may make within 15 minutes before it gets 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  ADMIN_AUTH_MAX_FAILURES: number = 20;

  /**
   * Password checks (about 100 ms of a core each) that run at once; further sign-ins wait in a queue
   * of LOGIN_CHECK_QUEUE (waiting costs no CPU, and slows a flood down to the pace of the checks)
   * and, when it is full, get 503 with Retry-After at once. Keeps a flood of sign-in posts from
   * taking the CPU from SCIM traffic.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  LOGIN_CHECK_CONCURRENCY: number = 1;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  LOGIN_CHECK_QUEUE: number = 256;

  /**
   * Behind a TLS-terminating proxy or load balancer: `true` (trust every hop), a hop count, or
   * comma-separated proxy addresses/CIDRs. `false` (default) uses the socket address.
   */
  @Transform(emptyToUndefined)
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F:.\/]+(,\s*[0-9a-fA-F:.\/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or comma-separated addresses',
  })
  TRUST_PROXY: string = 'false';

  /** The metrics port, or undefined when metrics are off. */
  get metricsPort(): number | undefined {
    return this.METRICS_PORT === 'off' ? undefined : Number(this.METRICS_PORT);
  }

  get publicUrl(): string {
    return (this.PUBLIC_URL ?? `http://localhost:${this.PORT}`).replace(/\/+$/, '');
  }

  /**
   * The path of PUBLIC_URL, '' when it names the root. A proxy in front serves the app under it (and
   * strips it): links, form actions and cookie paths that browsers see carry it, routes do not.
   */
  get publicPath(): string {
    return new URL(this.publicUrl).pathname.replace(/\/+$/, '');
  }

  get databaseKind(): 'sqlite' | 'mysql' {
    return this.DATABASE_URL.startsWith('mysql:') ? 'mysql' : 'sqlite';
  }

  get migrateOnStart(): boolean {
    return this.DATABASE_MIGRATE_ON_START === 'true';
  }

  /** The OAuth issuer; the authorization server is mounted at `/oauth`. */
  get oauthIssuer(): string {
    return `${this.publicUrl}/oauth`;
  }

  /** The resource indicator (and access-token audience) of the SCIM API. */
  get scimResource(): string {
    return `${this.publicUrl}/scim/v2`;
  }

  /** Which proxies to trust for the client address and protocol (a boolean, a hop count or addresses). */
  get trustProxy(): boolean | number | string {
    if (this.TRUST_PROXY === 'true') return true;
    if (this.TRUST_PROXY === 'false') return false;
    return /^\d+$/.test(this.TRUST_PROXY) ? Number(this.TRUST_PROXY) : this.TRUST_PROXY;
  }
}

/** Why a JWKS string is unusable, or undefined when it is a JSON key set of private keys. */
function jwksProblem(value: string): string | undefined {
  let jwks: unknown;
  try {
    jwks = JSON.parse(value);
  } catch {
    return 'must be JSON: {"keys":[…]}';
  }
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'must be {"keys":[…]} with at least one key';
  if (!keys.every((k) => k && typeof k === 'object' && typeof k.kty === 'string' && typeof k.d === 'string')) {
    return 'must hold private keys (each with "kty" and "d")';
  }
  return undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment into one typed object; throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const input: Record<string, string> = {};
  for (const key of [...known, 'PUBLIC_URL', 'NODE_ENV', 'OIDC_JWKS', 'OIDC_COOKIE_KEYS', 'SECRET_ENCRYPTION_KEY', 'REDIS_URL', 'METRICS_TOKEN']) {
    const value = env[key];
    if (value !== undefined) input[key] = value;
  }
  const config = plainToInstance(AppConfig, input, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  const problems = errors.flatMap((e) => Object.values(e.constraints ?? { invalid: `${e.property} is invalid` }));
  if (config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not be larger than HTTP_REQUEST_TIMEOUT_MS');
  }
  if (config.OIDC_JWKS !== undefined) {
    const problem = jwksProblem(config.OIDC_JWKS);
    if (problem) problems.push(`OIDC_JWKS ${problem}`);
  }
  if (config.databaseKind === 'mysql') {
    // Only the embedded SQLite default generates missing key material (every instance must share it).
    for (const key of ['OIDC_JWKS', 'OIDC_COOKIE_KEYS', 'SECRET_ENCRYPTION_KEY'] as const) {
      if (config[key] === undefined) problems.push(`${key} is required with MySQL (npm run cli -- secrets:generate prints a set)`);
    }
  }
  const metricsPort = config.metricsPort;
  if (metricsPort !== undefined && metricsPort > 65535) problems.push('METRICS_PORT must be a port number or off');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
