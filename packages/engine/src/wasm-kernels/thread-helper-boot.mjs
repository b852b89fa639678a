// Worker threads do not inherit tsx's loader, so register it before loading the TypeScript helper.
import { register } from 'tsx/esm/api';

register();
await import('./thread-helper.ts');
