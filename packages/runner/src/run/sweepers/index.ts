/** The sweepers, by name: one line each. */
import type { ExperimentSpec } from '@xp/core';
import type { SweeperFactory } from '../sweeper.ts';
import { gridSweeper } from './grid.ts';
import { optunaSweeper } from './optuna.ts';

export const SWEEPERS = {
  grid: gridSweeper,
  optuna: optunaSweeper,
} satisfies Record<string, SweeperFactory>;

export type SweeperName = keyof typeof SWEEPERS;

/** The sweeper a spec's sweep asks for: Optuna for sweep.optuna, else the grid (named variants and random trials included). */
export function sweeperFor(spec: Pick<ExperimentSpec, 'sweep'>): SweeperName {
  return spec.sweep?.optuna ? 'optuna' : 'grid';
}
