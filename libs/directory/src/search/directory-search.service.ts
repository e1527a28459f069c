import { Injectable } from '@nestjs/common';
import { ScimError, type ListQuery, type ScimResource } from '@app/scim';
import { ScimUserService } from '../users/scim-user.service.js';
import { ScimGroupService } from '../groups/scim-group.service.js';

export type ResourceTypeName = 'User' | 'Group';

/** One page of a search over every resource type: each resource with its type. */
export interface DirectorySearchPage {
  total: number;
  resources: { type: ResourceTypeName; resource: ScimResource }[];
}

/**
 * A search from the service root (`POST /.search`, RFC 7644 §3.4.3) over users and groups. Results
 * are the users, then the groups, each in the order of its own list, paged across both. A filter
 * that names attributes of one type only finds resources of that type (the other type has none to
 * match); a filter that neither type can evaluate is the users' error.
 */
@Injectable()
export class DirectorySearchService {
  constructor(
    private readonly users: ScimUserService,
    private readonly groups: ScimGroupService,
  ) {}

  async search(tenantId: string, query: ListQuery): Promise<DirectorySearchPage> {
    if (query.cursor !== undefined) {
      throw ScimError.invalidValue('A search over every resource type pages with startIndex: cursors are offered by /Users and /Groups');
    }
    if (query.sortBy) {
      throw ScimError.invalidValue('A search over every resource type cannot be sorted: use POST /Users/.search or /Groups/.search to sort');
    }
    const skip = query.startIndex - 1;
    const users = await orNone(this.users.list(tenantId, query));
    // Groups continue where the users end: skipped users count towards startIndex.
    const groupSkip = Math.max(0, skip - (users.page?.total ?? 0));
    const groupCount = query.count - (users.page?.resources.length ?? 0);
    const groups = await orNone(this.groups.list(tenantId, { ...query, startIndex: groupSkip + 1, count: groupCount }));
    if (!users.page && !groups.page) throw users.error!;
    return {
      total: (users.page?.total ?? 0) + (groups.page?.total ?? 0),
      resources: [
        ...(users.page?.resources ?? []).map((resource) => ({ type: 'User' as const, resource })),
        ...(groups.page?.resources ?? []).map((resource) => ({ type: 'Group' as const, resource })),
      ],
    };
  }
}

type Page = { total: number; resources: ScimResource[] };

/** The page, or the 400 that says the filter cannot be evaluated on this resource type. */
async function orNone(list: Promise<Page>): Promise<{ page?: Page; error?: ScimError }> {
  try {
    return { page: await list };
  } catch (error) {
    if (error instanceof ScimError && error.status === 400) return { error };
    throw error;
  }
}
