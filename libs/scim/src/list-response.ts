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
