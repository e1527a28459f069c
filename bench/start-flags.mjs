// The Node flags `npm start` runs the service with (package.json's start script), so that each
// benchmark measures the service as it runs in production.
import { readFileSync } from 'node:fs';

const start = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts.start;
export const START_FLAGS = start.split(/\s+/).filter((word) => word.startsWith('--'));
