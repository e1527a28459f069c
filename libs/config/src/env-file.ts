import { join } from 'node:path';

/**
 * Loads `.env` from the directory (the working directory by default) into `process.env` with Node's
 * own parser, before the configuration is validated. Variables already set in the environment keep
 * their values: the file only fills in what the environment leaves out. Returns the file's path, or
 * undefined when there is none.
 */
export function loadEnvFile(dir: string = process.cwd()): string | undefined {
  const path = join(dir, '.env');
  try {
    process.loadEnvFile(path);
    return path;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
