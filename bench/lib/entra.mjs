// What Entra sends (docs/benchmarks.md; ../shared/entra-facts.md §2): request bodies, test users,
// and the checks of the answers.
import {randomUUID} from "node:crypto";

const SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCHEMA_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const SCHEMA_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const SCHEMA_MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

export const filterPath = (userName) => `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;

/** The create body of entra-facts.md §2.3, with this user's userName, e-mail and externalId. */
export function entraCreateBody(u) {
    return {
        schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE],
        externalId: u.externalId,
        userName: u.userName,
        active: true,
        emails: [{primary: true, type: "work", value: u.userName}],
        meta: {resourceType: "User"},
        name: {formatted: "Jane Doe", familyName: "Doe", givenName: "Jane"},
        phoneNumbers: [{type: "mobile", value: "+1 425-555-0100"}],
        locale: "en-US",
        roles: [],
    };
}

/** The multi-valued PATCH of entra-facts.md §2.5. */
export function entraPatchBody(u) {
    return {
        schemas: [SCHEMA_PATCH],
        Operations: [
            {op: "Replace", path: 'emails[type eq "work"].value', value: u.newEmail},
            {op: "Replace", path: "name.familyName", value: "Smith"},
        ],
    };
}

/** The deactivation of entra-facts.md §2.9 (boolean, or the string form with --string-booleans). */
export function entraDeactivateBody(stringBooleans) {
    return {schemas: [SCHEMA_PATCH], Operations: [{op: "Replace", path: "active", value: stringBooleans ? "False" : false}]};
}

export function makeUsers(prefix, count) {
    const users = new Array(count);
    for (let i = 0; i < count; i++) {
        const local = `${prefix}-${String(i).padStart(6, "0")}`;
        users[i] = {
            userName: `${local}@contoso.com`,
            newEmail: `${local}.moved@contoso.com`,
            externalId: randomUUID(),
            ids: {},
        };
    }
    return users;
}

// Response checks (a 2xx with the wrong content makes the figure invalid too)
export const listOf = (n) => (b) => {
    if (!b || typeof b !== "object") return "body is not JSON";
    if (b.totalResults !== n) return `expected totalResults ${n}, got ${b.totalResults}`;
    if (!Array.isArray(b.Resources) ? n !== 0 : b.Resources.length !== n) return `expected ${n} Resources`;
    return null;
};
