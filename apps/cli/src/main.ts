import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@app/config';
import { TenantError } from '@app/directory';
import { CliModule } from './cli.module.js';
import { COMMANDS, UsageError } from './commands.js';

const USAGE = `usage: npm run cli -- <command> [--flags]
commands:
  migrate
  tenant:create --slug acme --name "Acme"
  scim-token:create --tenant acme [--expires-days 365] [--description "Entra"]`;

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
    const config = loadConfig();
    if (command.needsApp) {
      app = await NestFactory.createApplicationContext(CliModule.forRoot(config, config.migrateOnStart || name === 'migrate'), {
        logger: false,
        abortOnError: false,
      });
    }
    const result = await command.run(app, values);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof TenantError || error instanceof RangeError) {
      process.stderr.write(`${error.message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await app?.close();
  }
}

/** `--key value`, `--key=value` and bare `--flag` (true). */
function parseFlags(args: string[]): Record<string, string | true> {
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) flags[arg.slice(2)] = args[++i];
    else flags[arg.slice(2)] = true;
  }
  return flags;
}

process.exitCode = await main();
