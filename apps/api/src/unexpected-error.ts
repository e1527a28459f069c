import { describeDatabaseError } from '@app/database';

/**
 * An error no door expected, as the service log shows it: a database error by its code and the
 * statement's shape, never its parameters (describeDatabaseError); anything else with its stack.
 */
export function describeUnexpectedError(error: unknown): string {
  const database = describeDatabaseError(error);
  if (database) return database;
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : 'Non-error thrown';
}
