import { plainToInstance, Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, validateSync } from 'class-validator';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TENANT_SLUG_PATTERN, TenantService } from '@app/directory';
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
  name: string;
}

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
  description?: string;
}

export class AdminCreateArgs {
  @IsString()
  @IsNotEmpty({ message: '--tenant is required (slug or id)' })
  tenant: string;

  @IsString({ message: '--email is required' })
  @IsNotEmpty({ message: '--email is required' })
  @MaxLength(320)
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
  name?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '--expires-days must be a whole number' })
  @Min(1)
  @Max(3650)
  'expires-days'?: number;
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

export interface Command {
  /** Commands that need no database connection run without one (and without configuration). */
  needsApp: boolean;
  /** Prints the result as text instead of JSON. */
  text?: boolean;
  run(app: INestApplicationContext | undefined, flags: Record<string, unknown>, io?: CommandIo): Promise<unknown>;
}

export const COMMANDS: Record<string, Command> = {
  migrate: {
    needsApp: true,
    async run(app) {
      const applied = await app!.get(DataSource).runMigrations({ transaction: 'each' });
      return { applied: applied.map((m) => m.name) };
    },
  },
  'tenant:create': {
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(TenantCreateArgs, flags);
      const tenant = await app!.get(TenantService).create(args.slug, args.name);
      return { id: tenant.id, slug: tenant.slug, name: tenant.name };
    },
  },
  'scim-token:create': {
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ScimTokenCreateArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      return app!.get(ScimTokenService).issue(tenant.id, { expiresInDays: args['expires-days'], description: args.description });
    },
  },
  'admin:create': {
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
    needsApp: true,
    run: (app, flags) => setDisabled(app!, flags, true),
  },
  'admin:enable': {
    needsApp: true,
    run: (app, flags) => setDisabled(app!, flags, false),
  },
  'client:create': {
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
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientListArgs, flags);
      const tenant = await app!.get(TenantService).resolve(args.tenant);
      return app!.get(OAuthClientService).list(tenant.id);
    },
  },
  'client:add-secret': {
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientAddSecretArgs, flags);
      const issued = await app!.get(OAuthClientService).addSecret(args.client, args['expires-days']);
      return { client_id: issued.clientId, client_secret: issued.clientSecret, secret_id: issued.secretId, expires_at: issued.expiresAt.toISOString() };
    },
  },
  'client:delete-secret': {
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(ClientDeleteSecretArgs, flags);
      await app!.get(OAuthClientService).deleteSecret(args.client, args.secret);
      return { client_id: args.client, deleted: args.secret };
    },
  },
  'support:create': {
    needsApp: true,
    async run(app, flags) {
      const args = parseArgs(SupportCreateArgs, flags);
      const { account, token } = await app!.get(SupportAccountService).create(args.email, args.role, { expiresInDays: args['expires-days'] });
      return { id: account.id, token: token.token };
    },
  },
  'secrets:generate': {
    needsApp: false,
    text: true,
    async run(_app, flags) {
      const unknown = Object.keys(flags);
      if (unknown.length) throw new UsageError(`unknown flag --${unknown[0]}`);
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
