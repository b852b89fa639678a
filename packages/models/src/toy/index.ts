export * from './network.ts';
export * from './checks.ts';
export * from './formulas.ts';
