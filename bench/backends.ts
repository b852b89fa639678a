/**
 * One training step (SGD with momentum, batch 128, random images) of the seed network and of a
 * network ten times its size, on xp's wasm engine, on native TensorFlow (xp setup native) and in
 * PyTorch, with one and with two threads, side by side. Each group (network × threads) is measured
 * back to back, and each figure is also given as a ratio to PyTorch's in the same group.
 *
 *   npx tsx bench/backends.ts [--batches 10] [--warmup 3] [--only seed|10x] [--threads 1,2] [--no-fma] [--no-winograd] [--json]
 *
 * tfjs figures come from `xp bench --json` (the step `xp run` takes, on the spec's real layer stack):
 * wasm with `--workers N` as a run has it by default (kernel threads, relaxed SIMD's fused
 * multiply-add, 3×3 stride-1 convolutions by Winograd F(2×2, 3×3)), then with fused multiply-adds
 * off (train.fusedMultiplyAdd=false; --no-fma leaves that row out), with Winograd off
 * (train.winograd=false; --no-winograd leaves that row out), with both off, and on N data-parallel
 * workers (train.parallelism=data-parallel, N > 1); TensorFlow with its thread pools
 * limited to N by TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS. PyTorch: bench/train_step_torch.py
 * (Debian's python3-torch) with torch.set_num_threads(N). The machine's 1-minute load average is
 * recorded before each figure: on a shared machine the figures are indicative only.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const XP = join(REPO, 'packages/runner/bin/xp.js');
const TORCH = join(REPO, 'bench/train_step_torch.py');

const argv = process.argv.slice(2);
const option = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const batches = option('batches', '10');
const warmup = option('warmup', '3');
const threadCounts = option('threads', '1,2').split(',').map(Number);
const only = option('only', '');
const skipFma = argv.includes('--no-fma');
const skipWinograd = argv.includes('--no-winograd');

const NETWORKS = [
  { id: 'seed', label: 'seed network (19,816 parameters)', spec: join(REPO, 'experiments/cnn-19816.yaml'), width: '1' },
  { id: '10x', label: 'ten times the seed (202,660 parameters)', spec: join(REPO, 'bench/cnn-10x.yaml'), width: '3.25' },
].filter((n) => !only || n.id === only);

interface Row {
  network: string;
  engine: string;
  threads: number;
  msPerBatch?: number;
  error?: string;
  load: number;
  vsTorch?: number;
}

function xpBench(spec: string, backend: string, threads: number, sets: string[] = []): number {
  const env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: String(threads) };
  const args = [XP, 'bench', spec, '--backend', backend, '--json', '--batches', batches, '--warmup', warmup, ...sets.flatMap((set) => ['--set', set])];
  if (backend === 'wasm') args.push('--workers', String(threads));
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out.trim().split('\n').pop()!) as { msPerBatch: number }).msPerBatch;
}

function torchStep(width: string, threads: number): number {
  const out = execFileSync('/usr/bin/python3', [TORCH, '--threads', String(threads), '--width', width, '--batches', batches, '--warmup', warmup], { encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { msPerBatch: number }).msPerBatch;
}

const rows: Row[] = [];
for (const net of NETWORKS) {
  for (const threads of threadCounts) {
    const group: Row[] = [];
    const measure = (engine: string, fn: () => number) => {
      const load = loadavg()[0];
      try {
        group.push({ network: net.label, engine, threads, msPerBatch: fn(), load });
      } catch (error) {
        group.push({ network: net.label, engine, threads, load, error: ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').pop() });
      }
      process.stderr.write(`${net.id} ${engine} ${threads}: ${group.at(-1)!.msPerBatch?.toFixed(1) ?? group.at(-1)!.error} (load ${load.toFixed(1)})\n`);
    };
    measure('PyTorch', () => torchStep(net.width, threads));
    const wasm = (...sets: string[]) => () => xpBench(net.spec, 'wasm', threads, sets);
    measure(`xp wasm engine (default: ${threads > 1 ? 'kernel threads, ' : ''}fused multiply-add, Winograd)`, wasm());
    if (!skipFma) measure('xp wasm engine, without fused multiply-add', wasm('train.fusedMultiplyAdd=false'));
    if (!skipWinograd) measure('xp wasm engine, without Winograd', wasm('train.winograd=false'));
    if (!skipWinograd && !skipFma) measure('xp wasm engine, plain arithmetic (neither)', wasm('train.fusedMultiplyAdd=false', 'train.winograd=false'));
    if (threads > 1) measure('xp wasm engine, data-parallel workers', wasm('train.parallelism=data-parallel'));
    measure('TensorFlow 2.21 (tfjs-node)', () => xpBench(net.spec, 'tensorflow', threads));
    const torch = group[0].msPerBatch;
    for (const row of group) if (torch && row.msPerBatch) row.vsTorch = row.msPerBatch / torch;
    rows.push(...group);
  }
}

if (argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  process.stdout.write('| network | threads | engine | ms / batch | vs PyTorch (same run) | load |\n| --- | --- | --- | --- | --- | --- |\n');
  for (const r of rows) {
    const ms = r.msPerBatch === undefined ? `failed: ${r.error}` : r.msPerBatch.toFixed(1);
    process.stdout.write(`| ${r.network} | ${r.threads} | ${r.engine} | ${ms} | ${r.vsTorch === undefined ? '—' : `${r.vsTorch.toFixed(2)}×`} | ${r.load.toFixed(1)} |\n`);
  }
}
