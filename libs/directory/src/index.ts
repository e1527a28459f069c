import { TenantEntity } from './tenants/tenant.entity.js';
import { ScimUserEntity } from './users/scim-user.entity.js';
import { ScimUserEmailEntity, ScimUserPhoneNumberEntity } from './users/multi-valued-row.entity.js';
import { ScimGroupEntity, ScimGroupMemberEntity } from './groups/scim-group.entity.js';
import { ProvisioningEventEntity } from './events/provisioning-event.entity.js';
import { ScimUserExtensionValueEntity, TenantSchemaExtensionEntity } from './extensions/schema-extension.entity.js';

export const DIRECTORY_ENTITIES = [TenantEntity, ScimUserEntity, ScimUserEmailEntity, ScimUserPhoneNumberEntity, ScimGroupEntity, ScimGroupMemberEntity, ProvisioningEventEntity, TenantSchemaExtensionEntity, ScimUserExtensionValueEntity];

export { TenantEntity, type TenantStatus } from './tenants/tenant.entity.js';
export { NoControlCharacters } from './no-control-characters.js';
export { TenantService, TenantError, TENANT_SLUG_PATTERN, type TenantDoor } from './tenants/tenant.service.js';
export { ScimUserService } from './users/scim-user.service.js';
export { ScimGroupService } from './groups/scim-group.service.js';
export { DirectorySearchService, type DirectorySearchPage } from './search/directory-search.service.js';
export { DirectoryModule } from './directory.module.js';
export { EventLog, subjectOf, type Actor, type EventDraft, type EventSubject } from './events/event-log.js';
export { AuthFailureLog, AUTH_FAILURE_OPERATION, type AuthFailure, type AuthFailureReason } from './events/auth-failure-log.js';
export { ProvisioningEventEntity, type ActorType } from './events/provisioning-event.entity.js';
export { ProvisioningEventQuery, EVENT_BATCH, type EventFilter } from './events/event-query.service.js';
export { TenantHealthService, type CallCounts, type TenantHealth } from './tenants/tenant-health.service.js';
export { TENANTS_PER_QUERY, UserSearchService, USER_SEARCH_FIELDS, type UserSearchField, type UserSearchHit, type UserSearchQuery } from './users/user-search.service.js';
export type { KeysetPage, KeysetRequest, Position } from './sql/paging.js';
export { SchemaExtensionService, EXTENSION_URN_PATTERN, EXTENSION_ATTRIBUTE_NAME, parseExtensionAttributes, type TenantSchemas } from './extensions/schema-extension.service.js';
export { TenantSchemaExtensionEntity, EXTENSION_ATTRIBUTE_TYPES, type ExtensionAttribute, type ExtensionAttributeType } from './extensions/schema-extension.entity.js';
