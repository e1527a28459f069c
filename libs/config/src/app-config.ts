import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the service reads, with its default. `.env.example` lists the same
 * variables; `loadConfig` validates them once at boot and fails listing every bad one.
 */
export class AppConfig {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** Base URL the service is reached at; the OAuth issuer and SCIM `meta.location` derive from it. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+(\/[^\s]*)?$/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL?: string;

  @Transform(emptyToUndefined)
  @Matches(/^(sqlite:.+|mysql:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<path> or mysql://user:pass@host:port/db',
  })
  DATABASE_URL: string = 'sqlite:./data/atea.sqlite';

  /** Apply pending migrations when the service starts. */
  @Transform(emptyToUndefined)
  @IsIn(['true', 'false'])
  DATABASE_MIGRATE_ON_START: string = 'true';

  @Transform(emptyToUndefined)
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  /** Largest SCIM request body accepted, in bytes; larger bodies get 413. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  SCIM_MAX_BODY_BYTES: number = 1_048_576;

  /** Most resources one SCIM list page returns (`count` is clamped to it). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SCIM_MAX_RESULTS: number = 1000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  get publicUrl(): string {
    return (this.PUBLIC_URL ?? `http://localhost:${this.PORT}`).replace(/\/+$/, '');
  }

  get databaseKind(): 'sqlite' | 'mysql' {
    return this.DATABASE_URL.startsWith('mysql:') ? 'mysql' : 'sqlite';
  }

  get migrateOnStart(): boolean {
    return this.DATABASE_MIGRATE_ON_START === 'true';
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment into one typed object; throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const input: Record<string, string> = {};
  for (const key of [...known, 'PUBLIC_URL', 'NODE_ENV']) {
    const value = env[key];
    if (value !== undefined) input[key] = value;
  }
  const config = plainToInstance(AppConfig, input, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(errors.flatMap((e) => Object.values(e.constraints ?? { invalid: `${e.property} is invalid` })));
  }
  return config;
}
