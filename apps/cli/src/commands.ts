import { plainToInstance, Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, validateSync } from 'class-validator';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readFile } from 'node:fs/promises';
import { NoControlCharacters, parseExtensionAttributes, SchemaExtensionService, TENANT_SLUG_PATTERN, TenantService } from '@app/directory';
import {
  AccountService,
  generateKeyMaterialEnv,
  MAX_SUPPORT_TOKEN_DAYS,
  OAuthClientService,
  ScimTokenService,
  SupportAccountService,
  TenantAdminService,
} from '@app/identity';
import { PROCESS_IO, readPassword, type CommandIo } from './password-input.js';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export class TenantCreateArgs {
  @Matches(TENANT_SLUG_PATTERN, { message: '--slug must be lower-case letters, digits and hyphens (1-64)' })
  slug: string;

  @IsString()
  @IsNotEmpty({ message: '--name is required' })
  @MaxLength(200)
  @NoControlCharacters({ message: '--name must not contain control characters' })
  name: string;
}

export class TenantListArgs {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  @IsOptional()
  @IsIn(['active', 'suspended'], { message: '--status must be active or suspended' })
  status?: 'active' | 'suspended';
}

const TENANT_PAGE = 200;

export class ScimTokenCreateArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '--expires-days must be a whole number' })
  @Min(0)
  @Max(3650)
  'expires-days'?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoControlCharacters({ message: '--description must not contain control characters' })
  description?: string;
}

export class AdminCreateArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;

  @IsString({ message: '--email is required' })
  @IsNotEmpty({ message: '--email is required' })
  @MaxLength(320)
  @NoControlCharacters({ message: '--email must not contain control characters' })
  email: string;

  /** Deprecated: it leaves the password in the shell history. Accepted with a warning. */
  @IsOptional()
  @IsString({ message: '--password needs a value' })
  @IsNotEmpty({ message: '--password needs a value' })
  password?: string;
}

export class AdminSetDisabledArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;

  @IsString({ message: '--email is required' })
  @IsNotEmpty({ message: '--email is required' })
  email: string;
}

const toArray = ({ value }: { value: unknown }) => (value === undefined || Array.isArray(value) ? value : [value]);

export class ClientCreateArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;

  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true, message: '--redirect-uri needs a URI' })
  'redirect-uri'?: string[];

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoControlCharacters({ message: '--name must not contain control characters' })
  name?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '--expires-days must be a whole number' })
  @Min(1)
  @Max(3650)
  'expires-days'?: number;
}

export class SchemaExtensionSetArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;

  @IsString({ message: '--file is required' })
  @IsNotEmpty({ message: '--file is required' })
  file: string;

  @IsOptional()
  @IsIn([true], { message: '--confirm takes no value' })
  confirm?: boolean;
}

export class ClientListArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;
}

export class ClientAddSecretArgs {
  @IsString({ message: '--client is required (client_id)' })
  @IsNotEmpty({ message: '--client is required (client_id)' })
  client: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '--expires-days must be a whole number' })
  @Min(1)
  @Max(3650)
  'expires-days'?: number;
}

export class ClientDeleteSecretArgs {
  @IsString({ message: '--client is required (client_id)' })
  @IsNotEmpty({ message: '--client is required (client_id)' })
  client: string;

  @IsString({ message: '--secret is required (the secret id from client:list)' })
  @IsNotEmpty({ message: '--secret is required (the secret id from client:list)' })
  secret: string;
}

export class SupportCreateArgs {
  @IsString({ message: '--email is required' })
  @IsNotEmpty({ message: '--email is required' })
  @MaxLength(320)
  @NoControlCharacters({ message: '--email must not contain control characters' })
  email: string;

  @IsIn(['viewer', 'operator', 'admin'], { message: '--role must be viewer, operator or admin' })
  role: 'viewer' | 'operator' | 'admin';

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '--expires-days must be a whole number' })
  @Min(1)
  @Max(MAX_SUPPORT_TOKEN_DAYS)
  'expires-days'?: number;
}

/** A CLI usage error: printed without a stack, exit code 2. */
export class UsageError extends Error {}

export function parseArgs<T extends object>(type: new () => T, flags: Record<string, unknown>): T {
  const args = plainToInstance(type, flags);
  const errors = validateSync(args, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new UsageError(
      errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => (m.includes('should not exist') ? `unknown flag --${e.property}` : m))).join('\n'),
    );
  }
  return args;
}

/** A flag of a command, in commander's notation (`--slug <slug>`); `repeatable` collects every occurrence. */
export interface Flag {
  flags: string;
  description: string;
  repeatable?: boolean;
}

export interface Command {
  /** One line for `--help`. */
  summary: string;
  flags: Flag[];
  /** Commands that need no database connection run without one (and without configuration). */
  needsApp: boolean;
  /** Prints the result as text instead of JSON. */
  text?: boolean;
  run(app: INestApplicationContext | undefined, flags: Record<string, unknown>, io?: CommandIo): Promise<unknown>;
}

const TENANT: Flag = { flags: '--tenant <slug-or-id>', description: "the tenant's slug or id" };
const EXPIRES = (what: string, days: number): Flag => ({ flags: '--expires-days <days>', description: `days until ${what} expires (default ${days})` });

export const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: 'apply the pending database migrations; prints {"applied":[…]}',
    flags: [],
    needsApp: true,
    async run(app) {
      const applied = await app!.get(DataSource).runMigrations({ transaction: 'each' });
      return { applied: applied.map((m) => m.name) };
    },
  },
  'tenant:create': {
    summary: 'create a tenant; prints {"id","slug","name"}',
    flags: [{ flags: '--slug <slug>', description: 'lower-case letters, digits and hyphens (1-64)' }, { flags: '--name <name>', description: 'display name' }],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(TenantCreateArgs, flags);
      const tenant = await app!.get(TenantService).create(args.slug, args.name);
      return { id: tenant.id, slug: tenant.slug, name: tenant.name };
    },
  },
  'tenant:list': {
    summary: 'list tenants by slug; prints [{"id","slug","name","status","createdAt"}]',
    flags: [
      { flags: '--search <text>', description: 'only tenants whose slug or name contains the text' },
      { flags: '--status <status>', description: 'active or suspended' },
    ],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(TenantListArgs, flags);
      const tenants = app!.get(TenantService);
      const all: unknown[] = [];
      for (let offset = 0; ; offset += TENANT_PAGE) {
        const { items } = await tenants.list({ search: args.search, status: args.status, offset, limit: TENANT_PAGE });
        all.push(...items.map((t) => ({ id: t.id, slug: t.slug, name: t.name, status: t.status, createdAt: t.createdAt.toISOString() })));
        if (items.length < TENANT_PAGE) return all;
      }
    },
  },
  'scim-token:create': {
    summary: 'issue a SCIM token (shown once); prints {"id","token","expiresAt"}',
    flags: [TENANT, { ...EXPIRES('the token', 365), description: 'days until the token expires (default 365; 0: never)' }, { flags: '--description <text>', description: 'what the token is for, e.g. Entra' }],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ScimTokenCreateArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      return app!.get(ScimTokenService).issue(tenant.id, { expiresInDays: args['expires-days'], description: args.description });
    },
  },
  'schema-extension:set': {
    summary: 'declare or replace an extension schema of User for the tenant, from a JSON file {"urn","attributes":[…]}; prints {"urn","attributes","created"}',
    flags: [
      TENANT,
      { flags: '--file <path>', description: 'JSON file: {"urn": "urn:…:User", "attributes": [{"name", "type", …}]}, as the admin API takes' },
      { flags: '--confirm', description: 'delete the values users hold of attributes the file leaves out (refused otherwise)' },
    ],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(SchemaExtensionSetArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      let declaration: { urn?: unknown; attributes?: unknown };
      try {
        declaration = JSON.parse(await readFile(args.file, 'utf8')) as typeof declaration;
      } catch (error) {
        throw new UsageError(`--file: ${(error as Error).message}`);
      }
      if (typeof declaration?.urn !== 'string') throw new UsageError('--file: "urn" must be a text');
      const { extension, created } = await app!.get(SchemaExtensionService).put(tenant.id, declaration.urn, parseExtensionAttributes(declaration.attributes), args.confirm === true, {
        actor: { type: 'system', id: null },
        operation: 'tenant.schema-extension.put',
        resourceType: 'SchemaExtension',
      });
      return { urn: extension.urn, attributes: extension.attributes, created };
    },
  },
  'admin:create': {
    summary: 'create an admin of the tenant, who signs in to the Authorize dialog; prints {"id","email"}',
    flags: [TENANT, { flags: '--email <email>', description: 'sign-in e-mail address' }, { flags: '--password <password>', description: '12 characters or more' }],
    needsApp: true,
    /**
     * The password comes from standard input (a prompt without echo on a terminal, or a pipe); an
     * empty one makes the command generate a password and print it, once, with the account.
     */
    async run(app, flags, io = PROCESS_IO) {
      const args = parseArgs(AdminCreateArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      let password = args.password;
      if (password !== undefined) {
        io.stderr.write('warning: --password leaves the password in the shell history and the process list; pipe it in or answer the prompt instead\n');
      } else {
        password = await readPassword(io, `Password for ${args.email} (at least 12 characters; empty to generate one): `);
      }
      if (password === '') {
        const created = await app!.get(TenantAdminService).create(tenant.id, args.email);
        return { id: created.account.id, email: created.account.email, password: created.password };
      }
      const account = await app!.get(AccountService).createTenantAdmin(tenant.id, args.email, password);
      return { id: account.id, email: account.email };
    },
  },
  'admin:disable': {
    summary: 'disable a tenant admin: no sign-in, and tokens they authorized stop refreshing',
    flags: [TENANT, { flags: '--email <email>', description: "the admin's e-mail address" }],
    needsApp: true,
    run: (app, flags) => setDisabled(app!, flags, true),
  },
  'admin:enable': {
    summary: 're-enable a disabled tenant admin',
    flags: [TENANT, { flags: '--email <email>', description: "the admin's e-mail address" }],
    needsApp: true,
    run: (app, flags) => setDisabled(app!, flags, false),
  },
  'client:create': {
    summary: 'create an OAuth client (secret shown once); prints {"client_id","client_secret"}',
    flags: [TENANT, { flags: '--redirect-uri <uri>', description: 'a redirect URI (repeat for several; default https://portal.azure.com/TokenAuthorize)', repeatable: true }, { flags: '--name <name>', description: 'shown on the consent page' }, EXPIRES('the secret', 730)],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientCreateArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      const issued = await app!.get(OAuthClientService).create(tenant.id, {
        redirectUris: args['redirect-uri'],
        name: args.name,
        expiresInDays: args['expires-days'],
      });
      return { client_id: issued.clientId, client_secret: issued.clientSecret };
    },
  },
  'client:list': {
    summary: "the tenant's clients with their secrets' ids and expiry dates",
    flags: [TENANT],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientListArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      return app!.get(OAuthClientService).list(tenant.id);
    },
  },
  'client:add-secret': {
    summary: 'add a live secret to a client (shown once)',
    flags: [{ flags: '--client <client_id>', description: 'the client' }, EXPIRES('the secret', 730)],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientAddSecretArgs, flags);
      const issued = await app!.get(OAuthClientService).addSecret(args.client, args['expires-days']);
      return { client_id: issued.clientId, client_secret: issued.clientSecret, secret_id: issued.secretId, expires_at: issued.expiresAt.toISOString() };
    },
  },
  'client:delete-secret': {
    summary: "delete one of a client's secrets",
    flags: [{ flags: '--client <client_id>', description: 'the client' }, { flags: '--secret <secret_id>', description: 'the secret id from client:list' }],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientDeleteSecretArgs, flags);
      await app!.get(OAuthClientService).deleteSecret(args.client, args.secret);
      return { client_id: args.client, deleted: args.secret };
    },
  },
  'support:create': {
    summary: 'create a support account and its first personal access token (shown once); prints {"id","token"}',
    flags: [{ flags: '--email <email>', description: "the support engineer's e-mail address" }, { flags: '--role <role>', description: 'viewer, operator or admin' }, EXPIRES('the token', 90)],
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(SupportCreateArgs, flags);
      const { account, token } = await app!.get(SupportAccountService).create(args.email, args.role, { expiresInDays: args['expires-days'] });
      return { id: account.id, token: token.token };
    },
  },
  'secrets:generate': {
    summary: 'print key material for the OAuth server in .env format (no database needed)',
    flags: [],
    needsApp: false,
    text: true,
    async run() {
      const env = generateKeyMaterialEnv();
      return [
        '# Key material of the OAuth authorization server; the same on every instance. Keep it secret.',
        '# Rotate by putting a new key first and removing the old one once it is no longer needed.',
        `OIDC_JWKS='${env.OIDC_JWKS}'`,
        `OIDC_COOKIE_KEYS=${env.OIDC_COOKIE_KEYS}`,
        `SECRET_ENCRYPTION_KEY=${env.SECRET_ENCRYPTION_KEY}`,
        '',
      ].join('\n');
    },
  },
};

async function setDisabled(app: INestApplicationContext, flags: Record<string, unknown>, disabled: boolean) {
  const args = parseArgs(AdminSetDisabledArgs, flags);
  const tenant = await app.get(TenantService).resolve(args.tenant);
  const account = await app.get(AccountService).setDisabled(tenant.id, args.email, disabled);
  return { id: account.id, email: account.email, disabled: account.disabled };
}
