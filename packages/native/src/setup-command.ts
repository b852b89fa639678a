/**
 * What `xp setup native|gpu` does around `setupNative`: shows progress, prints what was set up (or
 * the error with its hint), and picks the exit code. The runner only registers the command.
 *
 * Exit codes: 0 ready; 1 the setup failed, or the GPU binding works but TensorFlow uses no GPU on a
 * machine that has a driver (the GPU setup's purpose was not reached).
 */
import { NativeSetupError } from './errors.ts';
import { setupProgressView } from './setup-progress.ts';
import { setupNative, type SetupResult } from './setup.ts';
import { GRADIENT_TOLERANCE } from './self-test.ts';
import type { NativeTarget } from './targets.ts';

export interface SetupCommandOptions {
  tensorflowVersion?: string;
  force?: boolean;
  gpuCheck?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export interface SetupCommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where progress bars are drawn. */
  progressStream: NodeJS.WriteStream;
}

function summary(result: SetupResult): string {
  const r = result.report;
  const lines = [
    `ready: backend '${result.target === 'gpu' ? 'tensorflow-gpu' : 'tensorflow'}' — ${result.npmPackage} built against TensorFlow ${r.tensorflowVersion} (${result.wheel})`,
    `  self-test: loads in ${(r.loadMs / 1000).toFixed(1)} s; convolution gradient vs the cpu backend ${r.gradientRelError.toExponential(1)} (limit ${GRADIENT_TOLERANCE}); one training step of a small convnet (batch 32) ${r.stepMs.toFixed(0)} ms, loss ${r.stepLoss.toFixed(3)}`,
  ];
  if (result.target === 'gpu') {
    const libs = result.cudaLibraries;
    if (libs) {
      const failed = Object.entries(libs.failed);
      lines.push(`  CUDA libraries in deps/nvidia: ${libs.loaded.length} of ${libs.loaded.length + failed.length} load${failed.length === 0 ? '' : `; not: ${failed.map(([lib, why]) => `${lib} (${why})`).join(', ')}`}`);
    }
    lines.push(`  GPU: ${r.usingGpu ? 'used' : 'not used'}`);
    for (const line of r.gpuLog ?? []) lines.push(`    ${line}`);
  }
  if (result.skipped.length > 0) lines.push(`  (already done before: ${result.skipped.join(', ')})`);
  lines.push(`  next: xp bench <spec> --backend all   # which backend is fastest for that model`);
  return `${lines.join('\n')}\n`;
}

export async function runSetupCommand(target: NativeTarget, options: SetupCommandOptions, io: SetupCommandIo): Promise<number> {
  const view = setupProgressView(io.progressStream, { verbose: options.verbose });
  let result: SetupResult;
  try {
    result = await setupNative({
      target,
      tensorflowVersion: options.tensorflowVersion,
      force: options.force,
      gpuCheck: options.gpuCheck,
      env: io.env,
      onEvent: (event) => view.onEvent(event),
    });
  } catch (error) {
    view.close();
    if (!(error instanceof NativeSetupError)) throw error;
    io.stderr(`xp setup ${target === 'gpu' ? 'gpu' : 'native'}: ${error.message}\n`);
    if (error.detail) io.stderr(`${error.detail.split('\n').map((line) => `  | ${line}`).join('\n')}\n`);
    if (error.hint) io.stderr(`  hint: ${error.hint}\n`);
    return 1;
  }
  view.close();
  if (options.json) io.stdout(`${JSON.stringify(result)}\n`);
  else io.stdout(summary(result));
  const brokenLibraries = Object.entries(result.cudaLibraries?.failed ?? {}).filter(([, why]) => !/libcuda\.so\.1/.test(why));
  if (brokenLibraries.length > 0) {
    io.stderr(`xp setup gpu: NVIDIA's libraries were placed but ${brokenLibraries.map(([lib]) => lib).join(', ')} do not load; rerun with --force\n`);
    return 1;
  }
  if (target === 'gpu' && !result.report.usingGpu) {
    if (result.driver) {
      io.stderr('xp setup gpu: the GPU binding is built and loads, but TensorFlow uses no GPU although an NVIDIA driver is installed; its own lines above say why (a library it could not load, a driver older than CUDA 12 needs)\n');
      return 1;
    }
    io.stderr("xp setup gpu: built and tested on the CPU only (no NVIDIA driver here); 'tensorflow-gpu' will be refused on this machine until one is installed\n");
  }
  return 0;
}
