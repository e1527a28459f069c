import { createConnection } from 'mysql2/promise';
import type { TestProject } from 'vitest/node';

export const DEFAULT_TEST_MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/**
 * Finds MariaDB/MySQL for the e2e suite through TEST_MYSQL_URL. Locally an unreachable server skips
 * the MySQL half with a warning; with CI=true it fails the run.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.TEST_MYSQL_URL ?? DEFAULT_TEST_MYSQL_URL;
  let available = false;
  try {
    const connection = await createConnection({ uri: url, connectTimeout: 5000 });
    await connection.query('SELECT 1');
    await connection.end();
    available = true;
  } catch (error) {
    const message = `MariaDB/MySQL is not reachable at ${url.replace(/\/\/[^@]*@/, '//***@')}: ${(error as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true requires it)`);
    console.warn(`\n${message}\nThe e2e tests run on SQLite only. Set TEST_MYSQL_URL to include MySQL.\n`);
  }
  project.provide('mysqlUrl', available ? url : '');
}

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string;
  }
}
