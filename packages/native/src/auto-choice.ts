/**
 * How `backend: auto` chooses, where the choice is not obvious.
 *
 * Obvious: a native backend that uses a GPU beats every CPU backend on a convnet; with no native CPU
 * backend set up there is only xp's wasm engine (the pure-JavaScript cpu backend is never faster).
 * Not obvious: native TensorFlow on the CPU against the wasm engine. TensorFlow's per-op overhead
 * (a C call, a tensor handle, a thread-pool dispatch per op) is fixed, so it loses on small networks
 * (the seed network: ≈ 200 ms a step against 137 ms) and wins once the convolutions are large. So it
 * is measured: each backend trains a few steps of the spec's own model as `xp run` would (wasm
 * data-parallel over `train.workers`, TensorFlow on its own thread pool), and the native backend is
 * chosen only if it is at least NATIVE_MARGIN faster. The margin keeps the tested default unless the
 * gain is clear of the noise of a few steps on a shared machine.
 *
 * WebGPU (Dawn) is treated like native CPU: it is a candidate only where its adapter is a real GPU (a
 * CPU emulation such as lavapipe is correct but far slower than wasm), and it is chosen only when
 * measured at least NATIVE_MARGIN faster than the wasm engine; of several such candidates, the fastest.
 *
 * Measurements are kept per machine and model (measurements.json in the native cache), so a choice is
 * measured once; `xp bench --backend all` measures again with more steps and replaces the record.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { nativeCacheDir } from './cache.ts';

export type AutoBackend = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The backends `auto` times against the wasm engine. */
export type MeasuredBackend = 'wasm' | 'tensorflow' | 'webgpu';

/** The native (or WebGPU) backend must take at most this fraction of the wasm engine's step time to be chosen. */
export const NATIVE_MARGIN = 0.9;

export interface StepTime {
  msPerBatch: number;
  /** Cores the steps kept busy; worker threads (wasm, data-parallel). */
  threads: number;
  workers: number;
}

export interface Measurement {
  key: string;
  /** What was measured, for people reading the file ("cnn-19816, batch 128"). */
  label: string;
  measuredAt: string;
  /** The machine's 1-minute load average when measured: a loaded machine's figures are indicative. */
  load: number;
  /** Steps timed per backend. */
  batches: number;
  wasm: StepTime;
  /** Absent where native TensorFlow was not set up when measured. */
  tensorflow?: StepTime;
  /** Present where a WebGPU adapter that is a real GPU was there when measured. */
  webgpu?: StepTime;
}

export interface AutoDecision {
  backend: AutoBackend;
  /** One line saying why, with the figures when measured. */
  reason: string;
  measurement?: Measurement;
}

export interface Presence {
  /** A native backend that uses a GPU started. */
  gpu: boolean;
  /** `xp setup native` has installed the native CPU backend. */
  nativeCpu: boolean;
  wasm: boolean;
  /** The WebGPU backend is installed and its adapter is a real GPU (not a CPU emulation). */
  webgpu?: boolean;
}

/**
 * The decision, or 'measure' when native CPU and wasm are both present and nothing is recorded for
 * this model on this machine.
 */
export function decideAuto(present: Presence, measurement?: Measurement): AutoDecision | 'measure' {
  if (present.gpu) return { backend: 'tensorflow-gpu', reason: 'a GPU is available to TensorFlow' };
  if (!present.wasm) return present.nativeCpu ? { backend: 'tensorflow', reason: 'the wasm engine is not available' } : { backend: 'cpu', reason: 'no faster backend is available' };
  if (!present.nativeCpu && !present.webgpu) return { backend: 'wasm', reason: "xp's wasm engine (native TensorFlow is not set up: npx xp setup native; no WebGPU adapter that is a GPU)" };
  if (!measurement || (present.nativeCpu && !measurement.tensorflow) || (present.webgpu && !measurement.webgpu)) return 'measure';
  return decideByMeasurement(measurement);
}

const LABEL: Record<Exclude<MeasuredBackend, 'wasm'>, string> = { tensorflow: 'native TensorFlow', webgpu: 'WebGPU' };

export function decideByMeasurement(m: Measurement): AutoDecision {
  const timed = (['tensorflow', 'webgpu'] as const).filter((b) => m[b] !== undefined).map((b) => ({ backend: b, ms: m[b]!.msPerBatch }));
  const figures = `${[...timed.filter((t) => t.backend === 'tensorflow').map((t) => `tensorflow ${t.ms.toFixed(0)} ms/step`), `wasm ${m.wasm.msPerBatch.toFixed(0)} ms/step`, ...timed.filter((t) => t.backend === 'webgpu').map((t) => `webgpu ${t.ms.toFixed(0)} ms/step`)].join(', ')} (${m.label}, measured ${m.measuredAt.slice(0, 16).replace('T', ' ')}, load ${m.load.toFixed(1)})`;
  const winner = timed.filter((t) => t.ms / m.wasm.msPerBatch <= NATIVE_MARGIN).sort((a, b) => a.ms - b.ms)[0];
  if (winner) return { backend: winner.backend, reason: `${LABEL[winner.backend]} is faster for this model: ${figures}`, measurement: m };
  const closest = [...timed].sort((a, b) => a.ms - b.ms)[0];
  const why = closest && closest.ms < m.wasm.msPerBatch ? `${LABEL[closest.backend]} is faster by less than ${Math.round((1 - NATIVE_MARGIN) * 100)} %` : 'the wasm engine is faster';
  return { backend: 'wasm', reason: `${why} for this model: ${figures}`, measurement: m };
}

/**
 * What identifies a measurement: the model and batch (what is computed), the workers setting and the
 * cores (how wasm spreads it), the CPU, the versions and the WebGPU adapter (how fast each side is).
 */
export function measurementKey(parts: { model: unknown; batchSize: number; workers: unknown; tensorflow?: string; webgpu?: string }): string {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.versions.node };
  return createHash('sha256').update(JSON.stringify({ ...parts, machine })).digest('hex').slice(0, 16);
}

export function measurementsFile(env: NodeJS.ProcessEnv): string {
  return join(nativeCacheDir(env), 'measurements.json');
}

export function readMeasurement(file: string, key: string): Measurement | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Measurement>;
    return all[key];
  } catch {
    return undefined;
  }
}

export function recordMeasurement(file: string, measurement: Measurement): void {
  let all: Record<string, Measurement> = {};
  try {
    if (existsSync(file)) all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Measurement>;
  } catch {
    // an unreadable file is replaced
  }
  all[measurement.key] = measurement;
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic.sync(file, `${JSON.stringify(all, null, 2)}\n`);
}

export interface ChooseOptions {
  presence: Presence;
  key: string;
  label: string;
  env: NodeJS.ProcessEnv;
  /** Trains `batches` timed steps of the model on a backend (after a warm-up) and says how long one took. */
  measure: (backend: MeasuredBackend, batches: number) => Promise<StepTime>;
  /** Timed steps per backend when nothing is recorded (default 3: a few seconds). */
  batches?: number;
  /** Measure again even if a record exists (`xp bench --backend all`). */
  remeasure?: boolean;
  now?: () => Date;
  load?: () => number;
}

/** The decision for one model: from the rule, the record, or a fresh measurement (then recorded). */
export async function chooseAuto(options: ChooseOptions): Promise<AutoDecision> {
  const file = measurementsFile(options.env);
  const recorded = options.remeasure ? undefined : readMeasurement(file, options.key);
  const decision = decideAuto(options.presence, recorded);
  const { presence } = options;
  if (decision !== 'measure' && !(options.remeasure && (presence.nativeCpu || presence.webgpu) && presence.wasm && !presence.gpu)) return decision;
  const batches = options.batches ?? 3;
  const wasm = await options.measure('wasm', batches);
  const tensorflow = presence.nativeCpu ? await options.measure('tensorflow', batches) : undefined;
  const webgpu = presence.webgpu ? await options.measure('webgpu', batches) : undefined;
  const measurement: Measurement = {
    key: options.key,
    label: options.label,
    measuredAt: (options.now?.() ?? new Date()).toISOString(),
    load: options.load?.() ?? loadavg()[0],
    batches,
    wasm,
    ...(tensorflow ? { tensorflow } : {}),
    ...(webgpu ? { webgpu } : {}),
  };
  recordMeasurement(file, measurement);
  return decideByMeasurement(measurement);
}
