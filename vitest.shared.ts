import { fileURLToPath } from 'node:url';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

/** Path aliases of tsconfig.json, for Vitest. */
export const alias = {
  '@app/scim': lib('scim'),
  '@app/directory': lib('directory'),
  '@app/identity': lib('identity'),
  '@app/database': lib('database'),
  '@app/config': lib('config'),
};
