import { ScimError } from '@app/scim';

/** The weak entity tag of a stored version (`meta.version`, the ETag header). */
export function etag(version: number): string {
  return `W/"${version}"`;
}

/**
 * If-Match: `*` or a list of entity tags, weak or strong, one of which must name the current
 * version; otherwise 412.
 */
export function checkIfMatch(version: number, ifMatch: string | undefined, resource: string): void {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const current = etag(version).replace(/^W\//, '');
  if (!ifMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === current)) {
    throw ScimError.preconditionFailed(`The ${resource} has changed: its version is ${etag(version)}`);
  }
}
