// Entry of a job's child process: sources are TypeScript, so tsx is registered before the child loads.
import { register } from 'tsx/esm/api';

register();
await import('./job-child.ts');
