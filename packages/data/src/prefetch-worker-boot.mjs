// Worker threads do not inherit tsx's loader, so register it before loading the TypeScript loader.
import { register } from 'tsx/esm/api';

register();
await import('./prefetch-worker.ts');
