/** The sweepers, by name: one line each. */
import type { SweeperFactory } from '../sweeper.ts';
import { gridSweeper } from './grid.ts';

export const SWEEPERS = {
  grid: gridSweeper,
} satisfies Record<string, SweeperFactory>;

export type SweeperName = keyof typeof SWEEPERS;
