import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, validateSync } from 'class-validator';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TENANT_SLUG_PATTERN, TenantService } from '@app/directory';
import { ScimTokenService } from '@app/identity';

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
  /** Commands that need no database connection run without one. */
  needsApp: boolean;
  run(app: INestApplicationContext | undefined, flags: Record<string, unknown>): Promise<unknown>;
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
};
