/**
 * What varied between the compared runs, grouped under the sweep axis that varied it. A run's params are
 * its resolved spec flattened to dotted paths, so a sweep over a block of layers shows up as several
 * leaves (`model.blocks.conv3.4.conv2d.padding`, …) and a sweep over a var as the var and every place it
 * is used. The sweep's own axes (its grid keys and the keys its named variants set) come from the spec the
 * run recorded: its spec.yaml artifact, else the spec file named by its xp.specFile tag if that file still
 * has the recorded hash. Varied leaves are placed under the axis whose key is a prefix of theirs; a varied
 * param under no axis that moves one-to-one with an axis (a place where a swept var is used) is
 * `derived`; any other gets a column of its own.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseSpecText } from '@xp/core';
import type { RunRecord, TrackingReader } from '@xp/tracking';

export interface SweepShape {
  /** sweep.grid keys, in spec order. */
  grid: string[];
  /** Keys set by sweep.variants, in first-seen order. */
  variants: string[];
  /** Paths a search draws (sweep.random.space, sweep.optuna.space), with the kind of distribution each is drawn from. */
  searched: SearchedPath[];
}

export interface SearchedPath {
  key: string;
  /** The distribution's one key as written: uniform, loguniform, intUniform, quniform, choice. */
  distribution: string;
  search: 'random' | 'optuna';
}

export interface AxisGroup {
  /** The sweep key (`vars.c1`, `model.blocks.conv3`), or the param itself for a param under no known axis. */
  key: string;
  source: 'grid' | 'variants' | 'search' | 'param';
  /** The varied params under it, in name order. */
  params: string[];
}

export interface AxisLayout {
  axes: AxisGroup[];
  /** Varied params that follow one axis one-to-one (where a swept var is used), with the axis they follow. */
  derived: { param: string; follows: string }[];
}

const TAG_SPEC_FILE = 'xp.specFile';
const TAG_SPEC_HASH = 'xp.specHash';
/** Distinct specs read at most; an experiment with more has been run from many versions of its spec. */
const MAX_SPECS = 20;

/** The sweep axes of the specs the runs (and their parent) recorded, merged; null where no spec could be read. */
export async function loadSweepShape(reader: TrackingReader, runs: readonly RunRecord[]): Promise<SweepShape | null> {
  const seen = new Set<string>();
  let shape: SweepShape | null = null;
  for (const run of runs) {
    const identity = run.tags[TAG_SPEC_HASH] || run.runId;
    if (seen.has(identity)) continue;
    if (seen.size >= MAX_SPECS) break;
    const text = await recordedSpecText(reader, run);
    if (text === null) continue;
    seen.add(identity);
    const found = sweepShapeOf(text);
    if (!found) continue;
    shape ??= { grid: [], variants: [], searched: [] };
    for (const key of found.grid) if (!shape.grid.includes(key)) shape.grid.push(key);
    for (const key of found.variants) if (!shape.variants.includes(key)) shape.variants.push(key);
    for (const path of found.searched) if (!shape.searched.some((known) => known.key === path.key)) shape.searched.push(path);
  }
  return shape;
}

async function recordedSpecText(reader: TrackingReader, run: RunRecord): Promise<string | null> {
  const artifacts = await reader.localArtifactDir(run.runId).catch(() => null);
  if (artifacts) {
    const text = await fs.readFile(path.join(artifacts, 'spec.yaml'), 'utf8').catch(() => null);
    if (text !== null) return text;
  }
  const file = run.tags[TAG_SPEC_FILE];
  const hash = run.tags[TAG_SPEC_HASH];
  if (!file || !hash) return null;
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  return text !== null && createHash('sha256').update(text).digest('hex') === hash ? text : null;
}

/** The grid keys, the keys the named variants set and the paths a search draws, from a spec's YAML text. */
export function sweepShapeOf(text: string): SweepShape | null {
  const parsed = parseSpecText('spec.yaml', text);
  if (!parsed.ok) return null;
  const sweep = (parsed.source.value as { sweep?: unknown } | null)?.sweep;
  if (!sweep || typeof sweep !== 'object') return null;
  const { grid, variants } = sweep as { grid?: unknown; variants?: unknown };
  const shape: SweepShape = { grid: [], variants: [], searched: [] };
  for (const search of ['random', 'optuna'] as const) {
    const space = ((sweep as Record<string, unknown>)[search] as { space?: unknown } | undefined)?.space;
    if (!space || typeof space !== 'object') continue;
    for (const [key, written] of Object.entries(space)) {
      const [distribution] = written && typeof written === 'object' ? Object.keys(written) : [];
      if (distribution) shape.searched.push({ key, distribution, search });
    }
  }
  if (grid && typeof grid === 'object') shape.grid.push(...Object.keys(grid));
  if (Array.isArray(variants)) {
    for (const variant of variants) {
      const set = (variant as { set?: unknown } | null)?.set;
      if (set && typeof set === 'object') for (const key of Object.keys(set)) if (!shape.variants.includes(key)) shape.variants.push(key);
    }
  }
  return shape;
}

/** Places the varied params under the sweep's axes (named variants' keys first, as in variant names, then the grid's). */
export function layoutAxes(varied: readonly string[], shape: SweepShape | null, runs: readonly Pick<RunRecord, 'params'>[]): AxisLayout {
  const keys: { key: string; source: 'grid' | 'variants' | 'search' }[] = [
    ...(shape?.variants ?? []).map((key) => ({ key, source: 'variants' as const })),
    ...(shape?.grid ?? []).filter((key) => !shape?.variants.includes(key)).map((key) => ({ key, source: 'grid' as const })),
    ...(shape?.searched ?? []).filter(({ key }) => !shape?.variants.includes(key) && !shape?.grid.includes(key)).map(({ key }) => ({ key, source: 'search' as const })),
  ];
  const axes: AxisGroup[] = [];
  const placed = new Set<string>();
  for (const { key, source } of keys) {
    // The longest key claims a param (a grid over model.blocks.conv3.0.conv2d.filters inside a variants key model.blocks.conv3).
    const params = varied.filter((param) => isUnder(param, key) && !keys.some((other) => other.key.length > key.length && isUnder(other.key, key) && isUnder(param, other.key)));
    if (!params.length) continue;
    axes.push({ key, source, params: [...params].sort() });
    for (const param of params) placed.add(param);
  }
  const derived: AxisLayout['derived'] = [];
  for (const param of varied) {
    if (placed.has(param)) continue;
    const follows = axes.find((axis) => axis.source !== 'param' && oneToOne(runs, param, axis.params));
    if (follows) derived.push({ param, follows: follows.key });
    else axes.push({ key: param, source: 'param', params: [param] });
  }
  return { axes, derived };
}

function isUnder(param: string, key: string): boolean {
  return param === key || param.startsWith(`${key}.`);
}

/** Whether runs with the same value of `param` have the same values of `params`, and the other way round. */
function oneToOne(runs: readonly Pick<RunRecord, 'params'>[], param: string, params: readonly string[]): boolean {
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();
  for (const run of runs) {
    const value = JSON.stringify(run.params[param] ?? null);
    const axisValue = JSON.stringify(params.map((p) => run.params[p] ?? null));
    if ((forward.get(value) ?? axisValue) !== axisValue || (backward.get(axisValue) ?? value) !== value) return false;
    forward.set(value, axisValue);
    backward.set(axisValue, value);
  }
  return true;
}
