import 'reflect-metadata';
import { runCli } from './program.js';

/** The operator CLI: `node dist/apps/cli/src/main.js <command> [--flags]` (or `npm run -s cli -- …`). */
process.exitCode = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
