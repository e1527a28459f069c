/**
 * The resource schemas this service speaks: core User (RFC 7643 §4.1, §8.7.1), Enterprise User
 * (§4.3) and Group (§4.2), plus the common attributes id, externalId and meta (§3.1).
 */
import type {
  AttributeDefinition,
  AttributeType,
  Mutability,
  ResourceSchema,
  Returned,
  SchemaDefinition,
  Uniqueness,
} from './types.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './urns.js';

interface AttrOptions {
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: Mutability;
  returned?: Returned;
  uniqueness?: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

function attr(name: string, type: AttributeType, description: string, o: AttrOptions = {}): AttributeDefinition {
  const def: AttributeDefinition = {
    name,
    type,
    multiValued: o.multiValued ?? false,
    description,
    required: o.required ?? false,
    caseExact: o.caseExact ?? false,
    mutability: o.mutability ?? 'readWrite',
    returned: o.returned ?? 'default',
    uniqueness: o.uniqueness ?? 'none',
  };
  if (o.canonicalValues) def.canonicalValues = o.canonicalValues;
  if (o.referenceTypes) def.referenceTypes = o.referenceTypes;
  if (o.subAttributes) def.subAttributes = o.subAttributes;
  return def;
}

const str = (name: string, description: string, o?: AttrOptions) => attr(name, 'string', description, o);

/** A multi-valued complex attribute with the §2.4 default sub-attributes value, display, type, primary. */
function multiValued(
  name: string,
  description: string,
  types: string[] | undefined,
  valueType: AttributeType = 'string',
  valueOptions: AttrOptions = {},
): AttributeDefinition {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      attr('value', valueType, `The value of ${name}.`, valueOptions),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str('type', `A label indicating the function of the value of ${name}.`, types ? { canonicalValues: types } : {}),
      attr('primary', 'boolean', 'Indicates the primary or preferred value of the attribute; at most one value is primary.'),
    ],
  });
}

/** Attributes every resource has (RFC 7643 §3.1); they resolve on every resource type. */
export const COMMON_ATTRIBUTES: AttributeDefinition[] = [
  str('id', 'Unique identifier for the resource, assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', 'Identifier of the resource as defined by the provisioning client.', { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'The name of the resource type of the resource.', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', 'The date and time the resource was added to the service provider.', {
        mutability: 'readOnly',
      }),
      attr('lastModified', 'dateTime', 'The most recent date and time the resource was modified.', {
        mutability: 'readOnly',
      }),
      attr('location', 'reference', 'The URI of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
        referenceTypes: ['uri'],
      }),
      str('version', 'The version (entity tag) of the resource.', { caseExact: true, mutability: 'readOnly' }),
    ],
  }),
];

const USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, typically used to sign in. Unique per tenant, case-insensitively.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name of the User.'),
        str('givenName', 'The given name of the User.'),
        str('middleName', 'The middle name(s) of the User.'),
        str('honorificPrefix', 'The honorific prefix(es) of the User.'),
        str('honorificSuffix', 'The honorific suffix(es) of the User.'),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user.'),
    attr('profileUrl', 'reference', "A fully qualified URL pointing to a page representing the User's online profile.", {
      referenceTypes: ['external'],
    }),
    str('title', "The user's title, such as \"Vice President\"."),
    str('userType', 'The relationship between the organization and the user.'),
    str('preferredLanguage', "The User's preferred written or spoken language."),
    str('locale', "The User's default location for localizing values."),
    str('timezone', "The User's time zone in the IANA Time Zone database format."),
    attr('active', 'boolean', "The User's administrative status."),
    str('password', "The User's cleartext password; never returned.", { mutability: 'writeOnly', returned: 'never' }),
    multiValued('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multiValued('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValued('ims', 'Instant messaging addresses for the User.', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    multiValued('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], 'reference', {
      referenceTypes: ['external'],
    }),
    attr('addresses', 'complex', 'A physical mailing address for this User.', {
      multiValued: true,
      subAttributes: [
        str('formatted', 'The full mailing address, formatted for display.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component.'),
        str('type', 'A label indicating the function of the address.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'Indicates the primary address; at most one address is primary.'),
      ],
    }),
    attr('groups', 'complex', 'The groups the user belongs to, directly or indirectly. Read-only.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        str('value', 'The identifier of the Group.', { mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the Group.', { mutability: 'readOnly', referenceTypes: ['User', 'Group'] }),
        str('display', 'A human-readable name of the Group.', { mutability: 'readOnly' }),
        str('type', 'How the membership came about.', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
    multiValued('entitlements', 'A list of entitlements for the User.', undefined),
    multiValued('roles', 'A list of roles for the User.', undefined),
    multiValued('x509Certificates', 'A list of certificates issued to the User.', undefined, 'binary'),
  ],
};

const ENTERPRISE_USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person by the organization.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', "The User's manager.", {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the manager.'),
        attr('$ref', 'reference', 'The URI of the SCIM resource representing the manager.', { referenceTypes: ['User'] }),
        str('displayName', 'The displayName of the manager. Read-only.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

const GROUP_SCHEMA_DEFINITION: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group. Unique per tenant.', { required: true, uniqueness: 'server' }),
    attr('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        str('value', 'Identifier of the member of this Group.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', 'The URI of the member resource.', {
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
        }),
        str('display', 'A human-readable name of the member. Read-only.', { mutability: 'readOnly' }),
        str('type', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
    }),
  ],
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

deepFreeze(COMMON_ATTRIBUTES);

export const USER_RESOURCE: ResourceSchema = deepFreeze({
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  core: USER_SCHEMA_DEFINITION,
  extensions: [{ schema: ENTERPRISE_USER_SCHEMA_DEFINITION, required: false }],
});

export const GROUP_RESOURCE: ResourceSchema = deepFreeze({
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  core: GROUP_SCHEMA_DEFINITION,
  extensions: [],
});

/** The schemas served by /Schemas. Common attributes (id, externalId, meta) are not listed (RFC 7643 §3.1). */
export const ALL_SCHEMA_DEFINITIONS: SchemaDefinition[] = deepFreeze([
  USER_SCHEMA_DEFINITION,
  ENTERPRISE_USER_SCHEMA_DEFINITION,
  GROUP_SCHEMA_DEFINITION,
]);

/**
 * The User resource type of a tenant that declared extension schemas of its own: USER_RESOURCE
 * with them after the enterprise extension, none required. Without any, USER_RESOURCE itself.
 * Callers cache the result per tenant: path resolution indexes each resource schema once.
 */
export function userResourceWith(extensions: readonly SchemaDefinition[]): ResourceSchema {
  if (extensions.length === 0) return USER_RESOURCE;
  return deepFreeze({
    ...USER_RESOURCE,
    extensions: [...USER_RESOURCE.extensions, ...extensions.map((schema) => ({ schema, required: false }))],
  });
}
