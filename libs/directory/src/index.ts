import { TenantEntity } from './tenants/tenant.entity.js';
import { ScimUserEntity } from './users/scim-user.entity.js';
import { ScimUserEmailEntity, ScimUserPhoneNumberEntity } from './users/multi-valued-row.entity.js';
import { ScimGroupEntity, ScimGroupMemberEntity } from './groups/scim-group.entity.js';
import { ProvisioningEventEntity } from './events/provisioning-event.entity.js';

export const DIRECTORY_ENTITIES = [TenantEntity, ScimUserEntity, ScimUserEmailEntity, ScimUserPhoneNumberEntity, ScimGroupEntity, ScimGroupMemberEntity, ProvisioningEventEntity];

export { TenantEntity, type TenantStatus } from './tenants/tenant.entity.js';
export { TenantService, TenantError, TENANT_SLUG_PATTERN } from './tenants/tenant.service.js';
export { ScimUserService } from './users/scim-user.service.js';
export { ScimGroupService } from './groups/scim-group.service.js';
export { DirectorySearchService, type DirectorySearchPage } from './search/directory-search.service.js';
export { DirectoryModule } from './directory.module.js';
export { EventLog, type Actor, type EventDraft } from './events/event-log.js';
export { ProvisioningEventEntity, type ActorType } from './events/provisioning-event.entity.js';
export { ProvisioningEventQuery, type EventFilter } from './events/event-query.service.js';
export { TenantHealthService, type TenantHealth } from './tenants/tenant-health.service.js';
export type { KeysetPage, KeysetRequest, Position } from './sql/paging.js';
