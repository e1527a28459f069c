/**
 * The one place that says what a database error means to the service. Every door (SCIM, OAuth,
 * login pages, admin API, health) asks here instead of reading driver codes itself.
 *
 * - `retry`: the engine aborted the work and asks for it again (deadlock victim, lock wait timeout,
 *   Galera certification failure, busy SQLite file). Safe to run the whole transaction once more.
 * - `unavailable`: the database cannot be reached or cannot serve now (refused, lost, timed out,
 *   shutting down, node not ready, pool exhausted). The client should come back later: 503.
 * - `conflict`: a uniqueness constraint refused the write.
 * - `null`: anything else (a bug or bad input that reached the database).
 */
export type DriverErrorKind = 'retry' | 'unavailable' | 'conflict';

interface DriverErrorShape {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  message?: unknown;
  fatal?: unknown;
  /** TypeORM's QueryFailedError: the SQL text (with placeholders) and its parameters. */
  query?: unknown;
  parameters?: unknown;
  stack?: unknown;
  driverError?: DriverErrorShape;
  cause?: unknown;
}

/** MySQL/MariaDB server errors the engine asks the client to retry. */
const RETRY_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK (also Galera's certification failure / brute-force abort)
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/** MySQL/MariaDB server errors that mean "this server cannot serve now". */
const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1047, // ER_UNKNOWN_COM_ERROR: Galera "WSREP has not yet prepared node for application use"
  1053, // ER_SERVER_SHUTDOWN
  1077, // ER_NORMAL_SHUTDOWN
  1152, // ER_ABORTING_CONNECTION
  1180, // ER_ERROR_DURING_COMMIT: Galera "Not connected to Primary Component" (nothing committed)
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1290, // ER_OPTION_PREVENTS_STATEMENT (read-only node, --read-only after a failover)
  1836, // ER_READ_ONLY_MODE
  1927, // ER_CONNECTION_KILLED
  1969, // ER_STATEMENT_TIMEOUT (max_statement_time)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  3024, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
  4031, // ER_CLIENT_INTERACTION_TIMEOUT
]);

/** Node socket and mysql2 client codes of a connection that failed or went away. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_QUERY_INTERRUPTED',
  // SQLite: the file cannot be read or written now.
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_PROTOCOL',
]);

const RETRY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** mysql2 pool and client messages that carry no code. */
const UNAVAILABLE_MESSAGES = [
  /^Pool is closed/i,
  /^Queue limit reached/i,
  /^Can't add new command when connection is in closed state/i,
  /Connection lost/i,
  /^connect ETIMEDOUT/i,
  /^Query inactivity timeout/i,
  /^Timeout acquiring a connection/i,
  /Driver not Connected|Connection is not established|DataSource is not initialized/i,
];

/** The error, the driver's error inside a TypeORM one, and any cause, innermost last. */
function chain(error: unknown): DriverErrorShape[] {
  const out: DriverErrorShape[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as DriverErrorShape;
    out.push(e);
    current = e.driverError ?? e.cause;
  }
  return out;
}

/** What a database error means; null when it is none of the kinds above. */
export function classifyDriverError(error: unknown): DriverErrorKind | null {
  if (error instanceof DatabaseUnavailableError) return 'unavailable';
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const errno = typeof e.errno === 'number' ? e.errno : undefined;
    if (code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'conflict';
    if ((errno !== undefined && RETRY_ERRNOS.has(errno)) || (code && RETRY_CODES.has(code))) return 'retry';
    if ((errno !== undefined && UNAVAILABLE_ERRNOS.has(errno)) || (code && UNAVAILABLE_CODES.has(code))) return 'unavailable';
    if (code?.startsWith('SQLITE_IOERR')) return 'unavailable';
    if (e.fatal === true) return 'unavailable';
    const message = typeof e.message === 'string' ? e.message : '';
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return 'unavailable';
  }
  return null;
}

/**
 * A database error for the service log: its code and number, never its message's values, the SQL
 * or its parameters (they may carry personal data or secrets).
 */
export function describeDriverError(error: unknown): string {
  if (error instanceof DatabaseUnavailableError) return error.message;
  const inner = chain(error).find((e) => typeof e.code === 'string' || typeof e.errno === 'number') ?? {};
  const code = typeof inner.code === 'string' ? inner.code : (error as Error)?.name ?? 'error';
  return typeof inner.errno === 'number' ? `${code} (${inner.errno})` : code;
}

/**
 * Errors after which the whole transaction may safely run again: the engine's own `retry` kind, a
 * node that refused the work because it is not ready or shutting down (nothing of the transaction
 * can have committed there), and a connection that could not be opened (nothing was sent).
 * A connection lost in the middle is not among them: its COMMIT may have gone through.
 */
export function isRetryableDriverError(error: unknown): boolean {
  if (classifyDriverError(error) === 'retry') return true;
  return chain(error).some(
    (e) => (typeof e.errno === 'number' && NOT_READY_ERRNOS.has(e.errno)) || (typeof e.code === 'string' && NOT_CONNECTED_CODES.has(e.code)),
  );
}

const NOT_READY_ERRNOS = new Set([1047, 1053, 1180]);
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED']);

/** True when the request should be answered "come back later" (503 with Retry-After). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const kind = classifyDriverError(error);
  // A retryable abort that is still failing after the retries is, to the client, a busy database.
  return kind === 'unavailable' || kind === 'retry';
}

/** Seconds a client is asked to wait before it tries again while the database is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Thrown where the service itself decides that the database cannot serve (a bounded wait for a
 * connection ran out, a circuit is open). The doors answer it like a driver's `unavailable`.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    message = 'The database is unavailable',
    readonly retryAfterSeconds = UNAVAILABLE_RETRY_AFTER_SECONDS,
  ) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Longest SQL text written to the log; a unit of work's batch can be long. */
const LOGGED_SQL_LENGTH = 2000;

/** Parameters shorter than this are not looked for in messages (they would blank out ordinary words). */
const SCRUBBED_MIN_LENGTH = 4;

/** Values a MySQL message quotes: `Duplicate entry '…' for key`, `Incorrect integer value: '…'`. */
const QUOTED_VALUES = /\b(entry|value:?) '(?:[^'\\]|\\.)*'/gi;

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value];
}

/** `text` without any parameter value in it, nor a value a MySQL message quotes. */
function withoutValues(text: string, parameters: unknown[]): string {
  let out = text;
  for (const value of parameters) {
    const shown = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    if (shown && shown.length >= SCRUBBED_MIN_LENGTH) out = out.split(shown).join('…');
  }
  return out.replace(QUOTED_VALUES, "$1 '…'");
}

/**
 * A database error as the service logs it, the one place that formats one: the driver's code,
 * errno and SQL state, its message with any value removed, the statement's SQL text (placeholders
 * only: TypeORM's `query`, never mysql2's `sql`, which has the values filled in) and where it was
 * sent from. Parameters are never included, only their count. Null when the error is not a
 * database error.
 */
export function describeDatabaseError(error: unknown, { stack: withStack = true }: { stack?: boolean } = {}): string | null {
  const links = chain(error);
  const failed = links.find((e) => typeof e.query === 'string');
  const driver = links[links.length - 1];
  const code = links.map((e) => e.code).find((c): c is string => typeof c === 'string');
  const errno = links.map((e) => e.errno).find((n): n is number => typeof n === 'number');
  const sqlState = links.map((e) => e.sqlState).find((c): c is string => typeof c === 'string');
  if (!failed && sqlState === undefined && !code?.startsWith('SQLITE_')) return null;
  const parameters = flatten(failed?.parameters ?? []);
  const message = withoutValues(typeof driver?.message === 'string' ? driver.message : 'no message', parameters);
  const what = [code ?? 'no code', errno !== undefined ? `errno ${errno}` : '', sqlState ? `sqlstate ${sqlState}` : ''].filter(Boolean).join(' ');
  const lines = [`Database error ${what}: ${message}`];
  if (failed) {
    // Built in code with placeholders: no value is ever part of it (scrubbing it would blank out identifiers).
    const sql = String(failed.query).replace(/\s+/g, ' ');
    lines.push(`  statement: ${sql.length > LOGGED_SQL_LENGTH ? `${sql.slice(0, LOGGED_SQL_LENGTH)}…` : sql}`);
    lines.push(`  parameters: ${parameters.length} (values not logged)`);
  }
  const stack = withStack && typeof links[0]?.stack === 'string' ? links[0].stack : '';
  lines.push(...stack.split('\n').filter((line) => /^\s+at /.test(line)));
  return lines.join('\n');
}

/**
 * Why background work failed, for a warning: a database error as describeDatabaseError shows it,
 * without the stack (never a parameter, nor a value the driver's message quotes); anything else by
 * its message.
 */
export function describeFailure(error: unknown): string {
  return describeDatabaseError(error, { stack: false }) ?? (error instanceof Error ? error.message : 'Non-error thrown');
}
