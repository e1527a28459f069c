import { ScimError, type AttrPath, type CompareFilter, type Filter } from '@app/scim';

/** A parameterised SQL condition over the resource table. */
export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

export type TargetKind = 'string' | 'boolean' | 'dateTime';

/**
 * What one filterable attribute compiles to. `column` is qualified with the resource alias, or with
 * `c` for a column of a child table. `lowered`: the column already holds lower-cased text.
 */
export interface Target {
  kind: TargetKind;
  column: string;
  caseExact: boolean;
  lowered?: boolean;
  /** Name of the multi-valued attribute whose child table holds the column. */
  child?: string;
  /** The column holds every type as text: boolean and number filter values are compared as their text. */
  textual?: boolean;
}

/**
 * A child table of a multi-valued attribute, joined by `c.<foreignKey> = <alias>.id`; `tenant`
 * also joins `c.tenant_id` to the resource's, `match` narrows it to rows whose columns hold these
 * values (a table shared by several attributes).
 */
export interface ChildTable {
  table: string;
  foreignKey: string;
  tenant?: boolean;
  match?: Record<string, string>;
}

/** The allow-list of one resource type: nothing else can be filtered or sorted on. */
export interface FilterSpec {
  alias: string;
  /** Lower-cased core schema URN followed by ':', stripped from fully qualified paths. */
  corePrefix: string;
  /** Lower-cased canonical path (`name.givenname`, `emails.value`, `urn:…:department`) → target. */
  targets: Map<string, Target>;
  /** Lower-cased multi-valued attribute name → its child table. */
  children: Map<string, ChildTable>;
  /** Lower-cased path of a complex attribute compared through its `value` (e.g. the manager). */
  valueAliases?: Set<string>;
}

function describe(path: AttrPath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
}

function pathKey(spec: FilterSpec, path: AttrPath): string {
  let key = describe(path).toLowerCase();
  if (key.startsWith(spec.corePrefix)) key = key.slice(spec.corePrefix.length);
  // A multi-valued attribute without a sub-attribute means its value (RFC 7644 §3.4.2.2).
  if (!path.sub && (spec.children.has(key) || spec.valueAliases?.has(key))) key = `${key}.value`;
  return key;
}

/** Sort column for `sortBy`; only single-valued attributes of the resource row qualify. */
export function sortColumn(spec: FilterSpec, path: AttrPath, resource: string): string {
  const found = spec.targets.get(pathKey(spec, path));
  if (!found || found.child) throw ScimError.invalidValue(`${resource} cannot be sorted by "${describe(path)}"`);
  return found.column;
}

const escapeLike = (text: string) => text.replace(/[!%_]/g, (ch) => `!${ch}`);

/**
 * Most comparisons one filter may hold. Each is a condition on every candidate row (a sub-query for
 * a multi-valued attribute), so this bounds the cost of a filter, not only its text.
 */
export const MAX_FILTER_TERMS = 200;

/**
 * Deepest expression tree a compiled filter may have. SQLite refuses trees deeper than 1000
 * ("Expression tree is too large") and MariaDB's parser and optimiser recurse on parentheses; chains
 * of `and`/`or` compile to balanced trees, so only `not (…)`, parentheses and value filters (at most
 * MAX_FILTER_DEPTH levels of them) make a tree deep.
 */
export const MAX_SQL_DEPTH = 250;

/** A compiled piece of a filter and the depth of its expression tree, as SQLite counts it (within a node or two). */
interface Compiled {
  sql: string;
  depth: number;
}

/** The comparisons of a filter. */
function countTerms(filter: Filter): number {
  let terms = 0;
  const pending: Filter[] = [filter];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.op === 'and' || node.op === 'or') pending.push(node.left, node.right);
    else if (node.op === 'not' || node.op === 'valuePath') pending.push(node.filter);
    else terms++;
  }
  return terms;
}

/** The operands of a chain of one logical operator (`a or b or (c or d)` → a, b, c, d), in order. */
function chain(node: Filter, op: 'and' | 'or'): Filter[] {
  const operands: Filter[] = [];
  const pending: Filter[] = [node];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.op === op) pending.push(next.right, next.left);
    else operands.push(next);
  }
  return operands;
}

/** Joins conditions with AND/OR as a balanced tree (depth log2 n rather than n). */
function balanced(parts: Compiled[], op: 'AND' | 'OR'): Compiled {
  if (parts.length === 1) return parts[0]!;
  const middle = parts.length >> 1;
  const left = balanced(parts.slice(0, middle), op);
  const right = balanced(parts.slice(middle), op);
  return { sql: `(${left.sql} ${op} ${right.sql})`, depth: 1 + Math.max(left.depth, right.depth) };
}

/**
 * Compiles a filter AST into a parameterised condition; multi-valued attributes become EXISTS
 * sub-queries on their child table. Every comparison is null-safe (never SQL NULL), so `not`
 * behaves as SCIM expects. `dateParam` converts a date into what the driver binds. A filter with
 * more than MAX_FILTER_TERMS comparisons, or compiling deeper than MAX_SQL_DEPTH, is refused
 * (400 invalidFilter) before any SQL runs.
 */
export function compileFilter(filter: Filter, spec: FilterSpec, dateParam: (date: Date) => unknown): SqlCondition {
  const terms = countTerms(filter);
  if (terms > MAX_FILTER_TERMS) {
    throw ScimError.invalidFilter(`The filter has ${terms} comparisons; at most ${MAX_FILTER_TERMS} are allowed (too complex)`);
  }
  const params: Record<string, unknown> = {};
  let counter = 0;
  const param = (value: unknown): string => {
    const name = `f${counter++}`;
    params[name] = value;
    return `:${name}`;
  };

  const target = (path: AttrPath): Target => {
    const found = spec.targets.get(pathKey(spec, path));
    if (!found) throw ScimError.invalidFilter(`The attribute "${describe(path)}" cannot be used in a filter`);
    return found;
  };

  // EXISTS (SELECT … WHERE c.fk = alias.id AND condition): three levels above the condition.
  const exists = (child: string, condition: Compiled): Compiled => {
    const table = spec.children.get(child)!;
    const narrow = [
      ...(table.tenant ? [`c.tenant_id = ${spec.alias}.tenant_id`] : []),
      ...Object.entries(table.match ?? {}).map(([column, value]) => `c.${column} = ${param(value)}`),
    ];
    const where = [`c.${table.foreignKey} = ${spec.alias}.id`, ...narrow, condition.sql].join(' AND ');
    return {
      sql: `EXISTS (SELECT 1 FROM ${table.table} c WHERE ${where})`,
      depth: condition.depth + 3,
    };
  };

  const compare = (node: CompareFilter, t: Target): string => {
    const { op, value } = node;
    if (value === null) {
      if (op === 'eq') return `${t.column} IS NULL`;
      if (op === 'ne') return `${t.column} IS NOT NULL`;
      throw ScimError.invalidFilter(`"${op}" cannot compare with null`);
    }
    if (t.kind === 'boolean') {
      const flag =
        typeof value === 'boolean' ? value : typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : undefined;
      if (flag === undefined || (op !== 'eq' && op !== 'ne')) {
        throw ScimError.invalidFilter(`"${describe(node.path)}" is a boolean: use eq or ne with true or false`);
      }
      return `${t.column} IS NOT NULL AND ${t.column} ${op === 'eq' ? '=' : '<>'} ${param(flag ? 1 : 0)}`;
    }
    if (t.kind === 'dateTime') {
      const date = typeof value === 'string' ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime()) || ['co', 'sw', 'ew'].includes(op)) {
        throw ScimError.invalidFilter(`"${describe(node.path)}" is a dateTime: compare it with a date such as "2026-01-31T12:00:00Z"`);
      }
      const sqlOp = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op as 'eq'];
      return `${t.column} IS NOT NULL AND ${t.column} ${sqlOp} ${param(dateParam(date))}`;
    }
    if (typeof value === 'boolean' && !t.textual) throw ScimError.invalidFilter(`"${describe(node.path)}" is a string, not a boolean`);
    const text = t.caseExact ? String(value) : String(value).toLowerCase();
    const column = !t.caseExact && !t.lowered ? `lower(${t.column})` : t.column;
    const guard = `${t.column} IS NOT NULL AND`;
    switch (op) {
      case 'eq':
        return `${guard} ${column} = ${param(text)}`;
      case 'ne':
        return `(${t.column} IS NULL OR ${column} <> ${param(text)})`;
      case 'co':
        return `${guard} ${column} LIKE ${param(`%${escapeLike(text)}%`)} ESCAPE '!'`;
      case 'sw':
        return `${guard} ${column} LIKE ${param(`${escapeLike(text)}%`)} ESCAPE '!'`;
      case 'ew':
        return `${guard} ${column} LIKE ${param(`%${escapeLike(text)}`)} ESCAPE '!'`;
      default: {
        const sqlOp = { gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
        return `${guard} ${column} ${sqlOp} ${param(text)}`;
      }
    }
  };

  // A comparison is at most four levels deep: `col IS NOT NULL AND lower(col) LIKE ?`.
  const compile = (node: Filter, scope?: string): Compiled => {
    switch (node.op) {
      case 'and':
      case 'or':
        return balanced(
          chain(node, node.op).map((operand) => compile(operand, scope)),
          node.op === 'and' ? 'AND' : 'OR',
        );
      case 'not': {
        const inner = compile(node.filter, scope);
        return { sql: `NOT (${inner.sql})`, depth: inner.depth + 1 };
      }
      case 'valuePath': {
        if (scope) throw ScimError.invalidFilter('Value filters cannot be nested');
        const child = pathKey(spec, { ...node.path, sub: undefined }).replace(/\.value$/, '');
        if (!spec.children.has(child)) throw ScimError.invalidFilter(`"${describe(node.path)}" cannot be used with a value filter`);
        const inner = compile(node.filter, child);
        return exists(child, { sql: `(${inner.sql})`, depth: inner.depth });
      }
      default: {
        const path = scope ? { attr: scope, sub: node.path.sub ? `${node.path.attr}.${node.path.sub}` : node.path.attr } : node.path;
        const t = target(path);
        if (scope && t.child !== scope) throw ScimError.invalidFilter(`"${describe(node.path)}" is not a sub-attribute of ${scope}`);
        const condition = { sql: node.op === 'pr' ? `${t.column} IS NOT NULL` : compare(node, t), depth: 4 };
        return t.child && !scope ? exists(t.child, condition) : { sql: `(${condition.sql})`, depth: condition.depth };
      }
    }
  };

  const compiled = compile(filter);
  if (compiled.depth > MAX_SQL_DEPTH) {
    throw ScimError.invalidFilter(`The filter nests too deeply once compiled (depth ${compiled.depth}, at most ${MAX_SQL_DEPTH}): too complex`);
  }
  return { sql: compiled.sql, params };
}

/** The condition with `?` placeholders and its parameters in order, for plain SQL. */
export function positional(condition: SqlCondition): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = condition.sql.replace(/:(f\d+)/g, (_, name: string) => {
    params.push(condition.params[name]);
    return '?';
  });
  return { sql, params };
}

/** The targets of a multi-valued attribute stored as child rows with value/type/display/primary. */
export function childTargets(child: string, columns: { value: string; type?: string; display?: string; primary?: string }): [string, Target][] {
  const key = child.toLowerCase();
  const targets: [string, Target][] = [[`${key}.value`, { kind: 'string', column: `c.${columns.value}`, caseExact: false, lowered: true, child: key }]];
  if (columns.type) targets.push([`${key}.type`, { kind: 'string', column: `c.${columns.type}`, caseExact: false, child: key }]);
  if (columns.display) targets.push([`${key}.display`, { kind: 'string', column: `c.${columns.display}`, caseExact: false, child: key }]);
  if (columns.primary) targets.push([`${key}.primary`, { kind: 'boolean', column: `c.${columns.primary}`, caseExact: true, child: key }]);
  return targets;
}
