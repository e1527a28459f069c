import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, loadEnvFile } from '@app/config';
import { TenantError } from '@app/directory';
import { IdentityError } from '@app/identity';
import { CliModule } from './cli.module.js';
import { COMMANDS, UsageError } from './commands.js';

const USAGE = `usage: npm run cli -- <command> [--flags]
commands:
  migrate
  tenant:create --slug acme --name "Acme"
  scim-token:create --tenant acme [--expires-days 365] [--description "Entra"]
  admin:create --tenant acme --email a@acme.test --password …
  admin:disable --tenant acme --email a@acme.test      (admin:enable likewise)
  client:create --tenant acme [--redirect-uri …]… [--name "Microsoft Entra provisioning"] [--expires-days 730]
  client:list --tenant acme
  client:add-secret --client <client_id> [--expires-days 730]
  client:delete-secret --client <client_id> --secret <secret id>
  support:create --email s@atea.test --role viewer|operator|admin [--expires-days 90]
  secrets:generate`;

/** The operator CLI: JSON on stdout; a message on stderr and a non-zero exit on error. */
async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${name ? `unknown command "${name}"\n` : ''}${USAGE}\n`);
    return 2;
  }
  let app;
  try {
    const values = parseFlags(rest);
    if (command.needsApp) {
      // `.env` in the working directory fills in what the environment leaves out, as for the service.
      loadEnvFile();
      const config = loadConfig();
      // `migrate` applies the migrations itself, so that it can report them.
      app = await NestFactory.createApplicationContext(CliModule.forRoot(config, name !== 'migrate' && config.migrateOnStart), {
        logger: false,
        abortOnError: false,
      });
    }
    const result = await command.run(app, values);
    process.stdout.write(command.text ? String(result) : `${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof TenantError ||
      error instanceof IdentityError ||
      error instanceof RangeError
    ) {
      process.stderr.write(`${error.message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await app?.close();
  }
}

/** `--key value`, `--key=value` and bare `--flag` (true); a repeated flag gives an array. */
function parseFlags(args: string[]): Record<string, string | true | (string | true)[]> {
  const flags: Record<string, string | true | (string | true)[]> = {};
  const set = (key: string, value: string | true) => {
    const previous = flags[key];
    flags[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    if (eq > 0) set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) set(arg.slice(2), args[++i]);
    else set(arg.slice(2), true);
  }
  return flags;
}

process.exitCode = await main();
