import { createRequire } from 'node:module';

/** xp's version, from packages/runner/package.json: recorded on every run. */
export const XP_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
