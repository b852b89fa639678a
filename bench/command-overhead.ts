/**
 * xp's overhead per `command` job: the same program (bench/command-overhead-program.mjs, N metric
 * lines) run bare and through `xp run` (kind command, in-process, file store), timed from spawn to its
 * first metric line and to its end; the per-metric cost is the slope between N = few and N = many.
 *
 *   npx tsx bench/command-overhead.ts [repeats=3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const PROGRAM = join(ROOT, 'bench/command-overhead-program.mjs');
const XP = join(ROOT, 'packages/runner/bin/xp.js');
const repeats = Number(process.argv[2] ?? 3);
const FEW = 10;
const MANY = 2000;

function timed(argv: string[], env: NodeJS.ProcessEnv): { firstMs: number; totalMs: number } {
  const started = Date.now();
  const result = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const totalMs = Date.now() - started;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const first = /first-metric-at (\d+)/.exec(result.stderr);
  if (!first) throw new Error(`no first-metric-at in the output of ${argv.join(' ')}`);
  return { firstMs: Number(first[1]) - started, totalMs };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measure(n: number): { bare: { firstMs: number; totalMs: number }; xp: { firstMs: number; totalMs: number } } {
  const dir = mkdtempSync(join(tmpdir(), 'xp-command-bench-'));
  writeFileSync(join(dir, 'spec.yaml'), `name: overhead\nkind: command\ncommand: [${process.execPath}, ${PROGRAM}, '${n}']\n`);
  const bare: Array<{ firstMs: number; totalMs: number }> = [];
  const xp: Array<{ firstMs: number; totalMs: number }> = [];
  for (let i = 0; i < repeats; i++) {
    bare.push(timed([process.execPath, PROGRAM, String(n)], {}));
    xp.push(timed([process.execPath, XP, 'run', join(dir, 'spec.yaml'), '--tracking-uri', join(dir, `mlruns-${i}`)], { MLFLOW_TRACKING_URI: '' }));
  }
  const pick = (runs: typeof bare) => ({ firstMs: median(runs.map((r) => r.firstMs)), totalMs: median(runs.map((r) => r.totalMs)) });
  return { bare: pick(bare), xp: pick(xp) };
}

const few = measure(FEW);
const many = measure(MANY);
const perMetricBare = (many.bare.totalMs - few.bare.totalMs) / (MANY - FEW);
const perMetricXp = (many.xp.totalMs - few.xp.totalMs) / (MANY - FEW);
console.log(`medians of ${repeats} (ms)`);
console.log(`start → first metric: bare ${few.bare.firstMs}, through xp ${few.xp.firstMs} (overhead ${few.xp.firstMs - few.bare.firstMs})`);
console.log(`whole job, ${FEW} metrics: bare ${few.bare.totalMs}, through xp ${few.xp.totalMs}`);
console.log(`whole job, ${MANY} metrics: bare ${many.bare.totalMs}, through xp ${many.xp.totalMs}`);
console.log(`per reported metric: bare ${perMetricBare.toFixed(3)}, through xp ${perMetricXp.toFixed(3)} (overhead ${(perMetricXp - perMetricBare).toFixed(3)})`);
