import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { KeysetPage, KeysetRequest, Position } from '@app/directory';
import { CursorSeal } from '@app/identity';
import { cursorListResponse, printFilter, projectResource, ScimError, type ListQuery, type ResourceSchema, type ScimResource } from '@app/scim';

/** How long a cursor stays usable (advertised as `pagination.cursorTimeout`). */
export const CURSOR_TIMEOUT_SECONDS = 24 * 60 * 60;

/** What a cursor holds: the query it belongs to, a position in its order and the way to read. */
interface CursorPayload {
  /** Hash of tenant, resource type, filter and sort: a cursor only continues the list it came from. */
  q: string;
  /** `a`: the rows after the position; `b`: the rows before it. */
  w: 'a' | 'b';
  p: Position;
  /** Expiry, in seconds since the epoch. */
  x: number;
}

/**
 * Cursor paging of `/Users` and `/Groups` (RFC 9865): cursors are keyset positions sealed with an
 * HMAC (CursorSeal), so a client can neither read meaning into them safely nor forge or alter one,
 * and they are bound to the tenant and the query that issued them.
 */
@Injectable()
export class ScimCursors {
  constructor(private readonly seal: CursorSeal) {}

  /** The keyset request of a cursor query: the first page for `cursor=''`, else where the cursor points. */
  request(tenantId: string, rs: ResourceSchema, query: ListQuery): KeysetRequest {
    const base = { count: query.count, sortOrder: query.sortOrder };
    if (!query.cursor) return base;
    const payload = this.seal.open(query.cursor) as CursorPayload | undefined;
    if (!payload || typeof payload !== 'object' || payload.q !== scope(tenantId, rs, query) || (payload.w !== 'a' && payload.w !== 'b') || !validPosition(payload.p)) {
      throw ScimError.invalidCursor('The cursor is not one this list issued: page from the first page again with an empty cursor');
    }
    if (typeof payload.x !== 'number' || payload.x < Date.now() / 1000) {
      throw ScimError.expiredCursor('The cursor has expired: page from the first page again with an empty cursor');
    }
    return payload.w === 'a' ? { ...base, after: payload.p } : { ...base, before: payload.p };
  }

  /**
   * The ListResponse of a page read by `request`: `nextCursor` when more rows follow, and
   * `previousCursor` when rows come before (a page read forward from a cursor always has some).
   */
  body(tenantId: string, rs: ResourceSchema, query: ListQuery, request: KeysetRequest, found: KeysetPage<ScimResource>) {
    const cursor = (w: 'a' | 'b', p: Position | undefined) =>
      p && this.seal.seal({ q: scope(tenantId, rs, query), w, p, x: Math.floor(Date.now() / 1000) + CURSOR_TIMEOUT_SECONDS } satisfies CursorPayload);
    const backwards = request.before !== undefined;
    const next = !backwards && !found.more ? undefined : cursor('a', found.last);
    const previous = backwards ? (found.more ? cursor('b', found.first) : undefined) : request.after ? cursor('b', found.first) : undefined;
    return cursorListResponse(
      found.rows.map((r) => projectResource(r, rs, query)),
      { next, previous },
    );
  }
}

function scope(tenantId: string, rs: ResourceSchema, query: ListQuery): string {
  const text = JSON.stringify([tenantId, rs.name, query.filter ? printFilter(query.filter) : null, query.sortBy ?? null, query.sortOrder]);
  return hash('sha256', text, 'base64url').slice(0, 22);
}

function validPosition(p: unknown): p is Position {
  if (!p || typeof p !== 'object') return false;
  const { value, id } = p as Position;
  const scalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  const date = typeof value === 'object' && value !== null && typeof value.at === 'string' && !Number.isNaN(Date.parse(value.at));
  return typeof id === 'string' && (scalar || date);
}
