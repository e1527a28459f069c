import type { FastifyReply } from 'fastify';
import { listResponse, parseListQuery, projectResource, type ListQuery, type ResourceSchema, type ScimResource } from '@app/scim';

export type QueryParams = Record<string, unknown>;

/** A ListResponse page, each resource projected by `attributes`/`excludedAttributes`. */
export function listBody(rs: ResourceSchema, query: ListQuery, page: { total: number; resources: ScimResource[] }) {
  return listResponse(
    page.resources.map((r) => projectResource(r, rs, query)),
    page.total,
    query.startIndex,
  );
}

/** One resource with its ETag header, projected by the request's `attributes`/`excludedAttributes`. */
export function resourceBody(reply: FastifyReply, rs: ResourceSchema, resource: ScimResource, query: QueryParams): ScimResource {
  reply.header('ETag', (resource.meta as { version: string }).version);
  const { attributes, excludedAttributes } = parseListQuery(query);
  return projectResource(resource, rs, { attributes, excludedAttributes });
}
