import { ENTERPRISE_USER_SCHEMA } from '@app/scim';
import type { ScimUserEntity } from './scim-user.entity.js';

type StringColumn = Exclude<
  { [K in keyof ScimUserEntity]: ScimUserEntity[K] extends string | null ? K : never }[keyof ScimUserEntity],
  'id' | 'tenantId' | 'userName' | 'userNameKey' | 'extra'
>;

/** A single-valued string attribute kept in its own column of `scim_users`. */
export interface UserColumn {
  /** Canonical SCIM path: `title`, `name.givenName`, `urn:…:enterprise:2.0:User:department`. */
  path: string;
  property: StringColumn;
  column: string;
  maxLength: number;
  caseExact: boolean;
}

const E = ENTERPRISE_USER_SCHEMA;

export const USER_COLUMNS: readonly UserColumn[] = [
  { path: 'externalId', property: 'externalId', column: 'external_id', maxLength: 255, caseExact: true },
  { path: 'displayName', property: 'displayName', column: 'display_name', maxLength: 255, caseExact: false },
  { path: 'nickName', property: 'nickName', column: 'nick_name', maxLength: 255, caseExact: false },
  { path: 'profileUrl', property: 'profileUrl', column: 'profile_url', maxLength: 1024, caseExact: false },
  { path: 'title', property: 'title', column: 'title', maxLength: 255, caseExact: false },
  { path: 'userType', property: 'userType', column: 'user_type', maxLength: 255, caseExact: false },
  { path: 'preferredLanguage', property: 'preferredLanguage', column: 'preferred_language', maxLength: 255, caseExact: false },
  { path: 'locale', property: 'locale', column: 'locale', maxLength: 255, caseExact: false },
  { path: 'timezone', property: 'timezone', column: 'timezone', maxLength: 255, caseExact: false },
  { path: 'name.formatted', property: 'nameFormatted', column: 'name_formatted', maxLength: 512, caseExact: false },
  { path: 'name.familyName', property: 'nameFamilyName', column: 'name_family_name', maxLength: 255, caseExact: false },
  { path: 'name.givenName', property: 'nameGivenName', column: 'name_given_name', maxLength: 255, caseExact: false },
  { path: 'name.middleName', property: 'nameMiddleName', column: 'name_middle_name', maxLength: 255, caseExact: false },
  { path: 'name.honorificPrefix', property: 'nameHonorificPrefix', column: 'name_honorific_prefix', maxLength: 255, caseExact: false },
  { path: 'name.honorificSuffix', property: 'nameHonorificSuffix', column: 'name_honorific_suffix', maxLength: 255, caseExact: false },
  { path: `${E}:employeeNumber`, property: 'employeeNumber', column: 'employee_number', maxLength: 255, caseExact: false },
  { path: `${E}:costCenter`, property: 'costCenter', column: 'cost_center', maxLength: 255, caseExact: false },
  { path: `${E}:organization`, property: 'organization', column: 'organization', maxLength: 255, caseExact: false },
  { path: `${E}:division`, property: 'division', column: 'division', maxLength: 255, caseExact: false },
  { path: `${E}:department`, property: 'department', column: 'department', maxLength: 255, caseExact: false },
  { path: `${E}:manager.value`, property: 'managerValue', column: 'manager_value', maxLength: 255, caseExact: true },
  { path: `${E}:manager.$ref`, property: 'managerRef', column: 'manager_ref', maxLength: 1024, caseExact: true },
];

/** Multi-valued attributes stored as child rows (and as JSON in the user's row), with the size of their columns. */
export const CHILD_ATTRIBUTES = {
  emails: { table: 'scim_user_emails', valueMax: 320, json: 'emailsJson' },
  phoneNumbers: { table: 'scim_user_phone_numbers', valueMax: 320, json: 'phoneNumbersJson' },
} as const;
export type ChildAttribute = keyof typeof CHILD_ATTRIBUTES;

/** Multi-valued attributes kept as JSON in `scim_users.extra`. */
export const EXTRA_ATTRIBUTES = ['addresses', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates'] as const;
