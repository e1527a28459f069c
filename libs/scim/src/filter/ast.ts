/**
 * The filter AST of RFC 7644 §3.4.2.2.
 *
 * Attribute names are kept as written by the client; resolving them (case-insensitively) against a
 * schema is the job of whoever consumes the AST.
 */

/**
 * An attribute path: `userName`, `name.givenName`, `emails.value`, or with a schema URN prefix,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber` (uri = everything before
 * the last colon, attr = `employeeNumber`).
 */
export interface AttrPath {
  uri?: string;
  attr: string;
  sub?: string;
}

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A comparison value: a JSON string, number, `true`, `false` or `null`. */
export type CompareValue = string | number | boolean | null;

export interface CompareFilter {
  op: CompareOperator;
  path: AttrPath;
  value: CompareValue;
}

export interface PresentFilter {
  op: 'pr';
  path: AttrPath;
}

export interface LogicalFilter {
  op: 'and' | 'or';
  left: Filter;
  right: Filter;
}

export interface NotFilter {
  op: 'not';
  filter: Filter;
}

/**
 * `emails[type eq "work" and value co "@x"]`: `path` names the multi-valued complex attribute
 * (never with `sub`); paths inside `filter` name its sub-attributes (`{ attr: 'type' }`).
 */
export interface ValuePathFilter {
  op: 'valuePath';
  path: AttrPath;
  filter: Filter;
}

export type Filter = CompareFilter | PresentFilter | LogicalFilter | NotFilter | ValuePathFilter;
