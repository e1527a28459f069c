import { Command as Program, CommanderError, Option } from 'commander';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigError, loadConfig, loadEnvFile } from '@app/config';
import { TenantError } from '@app/directory';
import { IdentityError } from '@app/identity';
import { CliModule } from './cli.module.js';
import { COMMANDS, UsageError, type Command } from './commands.js';

export interface CliIo {
  /** The environment the configuration is read from. */
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

/**
 * The operator CLI (argument parsing by commander): a command's result on stdout as JSON (indented
 * on a terminal, one line when piped, so scripts read pure JSON), messages on stderr, exit code 0,
 * 1 for a failure and 2 for a usage error. Returns the exit code.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Program('npm run cli --')
    .description('Atea provisioning operator CLI: JSON on stdout, messages on stderr, a non-zero exit on error. --tenant takes a slug or an id.')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();
  for (const [name, command] of Object.entries(COMMANDS)) {
    const sub = program.command(name).description(command.summary).allowExcessArguments(false);
    for (const flag of command.flags) {
      const option = new Option(flag.flags, flag.description);
      sub.addOption(flag.repeatable ? option.argParser((value: string, previous: string[] = []) => [...previous, value]) : option);
    }
    sub.action(async (options: Record<string, unknown>) => {
      exitCode = await execute(name, command, flagsOf(sub, options), io);
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) {
      io.stderr.write(program.helpInformation());
      return 2;
    }
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, successfully; commander has already written its message.
      return error.exitCode === 0 ? 0 : 2;
    }
    throw error;
  }
}

/** The parsed options keyed by their long flag name (`expires-days`), as the argument classes name them. */
function flagsOf(command: Program, options: Record<string, unknown>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const option of command.options) {
    const value = options[option.attributeName()];
    if (value !== undefined && option.long) flags[option.long.slice(2)] = value;
  }
  return flags;
}

async function execute(name: string, command: Command, flags: Record<string, unknown>, io: CliIo): Promise<number> {
  let app: INestApplicationContext | undefined;
  try {
    if (command.needsApp) {
      // `.env` in the working directory fills in what the environment leaves out, as for the service.
      if (io.env === process.env) loadEnvFile();
      const config = loadConfig(io.env);
      // `migrate` applies the migrations itself, so that it can report them.
      app = await NestFactory.createApplicationContext(CliModule.forRoot(config, name !== 'migrate' && config.migrateOnStart), {
        logger: false,
        abortOnError: false,
      });
    }
    const result = await command.run(app, flags);
    io.stdout.write(command.text ? String(result) : `${JSON.stringify(result, null, io.stdout.isTTY ? 2 : undefined)}\n`);
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof TenantError ||
      error instanceof IdentityError ||
      error instanceof RangeError
    ) {
      io.stderr.write(`${error.message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    io.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await app?.close();
  }
}
