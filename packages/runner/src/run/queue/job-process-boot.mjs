// Entry of a queued job's process: sources are TypeScript, so tsx is registered before the process loads.
import { register } from 'tsx/esm/api';

register();
await import('./job-process.ts');
