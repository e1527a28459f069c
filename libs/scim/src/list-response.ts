/** The ListResponse message of RFC 7644 §3.4.2. */
import type { ScimResource } from './normalize.js';
import { LIST_RESPONSE_SCHEMA } from './schema/urns.js';

export interface ListResponseBody {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  /** Number of resources in this page. */
  itemsPerPage: number;
  Resources: ScimResource[];
}

/** A page of results; `Resources` is always present (`[]` when nothing matched). */
export function listResponse(resources: ScimResource[], totalResults: number, startIndex: number): ListResponseBody {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: Math.trunc(totalResults),
    startIndex: Math.trunc(startIndex),
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** A page of results by cursor (RFC 9865 §2.2): no startIndex, and a cursor for each way that has more. */
export interface CursorListResponseBody {
  schemas: string[];
  itemsPerPage: number;
  nextCursor?: string;
  previousCursor?: string;
  Resources: ScimResource[];
}

export function cursorListResponse(resources: ScimResource[], cursors: { next?: string; previous?: string }): CursorListResponseBody {
  const body: CursorListResponseBody = { schemas: [LIST_RESPONSE_SCHEMA], itemsPerPage: resources.length, Resources: resources };
  if (cursors.next !== undefined) body.nextCursor = cursors.next;
  if (cursors.previous !== undefined) body.previousCursor = cursors.previous;
  return body;
}
