/**
 * The last step of a setup: load the built binding in a fresh process and see it work (backend
 * name, TensorFlow's version, whether a GPU is used, a gradient against the `cpu` backend, one
 * training step). Also used by the tests to check an installed backend.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exec, lastLines } from './exec.ts';
import { NativeSetupError } from './errors.ts';
import { nativeEnvironment } from './runtime-env.ts';

export interface SelfTestReport {
  backend: string;
  tensorflowVersion: string;
  usingGpu: boolean;
  /** Time to load the package and libtensorflow. */
  loadMs: number;
  /** A convolution + max-pool filter gradient against TensorFlow.js's `cpu` backend (max |Δ| / max |g|). */
  gradientRelError: number;
  /** One SGD step of a small convnet (batch 32), after one untimed step. */
  stepMs: number;
  stepLoss: number;
  /** GPU target, no GPU used: TensorFlow's own lines about CUDA, which say why. */
  gpuLog?: string[];
}

/** The gradient check's bound: the same as the wasm kernels' equivalence tests. */
export const GRADIENT_TOLERANCE = 1e-4;

const CHILD = fileURLToPath(new URL('./self-test-child.ts', import.meta.url));

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export async function selfTest(npmPackage: string, options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<SelfTestReport> {
  const env = { ...nativeEnvironment(options.env ?? process.env) };
  const result = await exec(process.execPath, ['--import', tsxLoader(), CHILD, npmPackage], { cwd: options.cwd, env });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !last.startsWith('{')) {
    throw new NativeSetupError('self-test-failed', `${npmPackage} was built but does not load or run`, {
      hint: 'rerun with --force to rebuild it; if it fails again, the lines below say why',
      detail: lastLines(`${result.stdout}\n${result.stderr}`),
    });
  }
  const report = JSON.parse(last) as SelfTestReport;
  if (!report.usingGpu) {
    const cudaLines = result.stderr.split('\n').filter((line) => /cuda|gpu|dlopen|nvidia|driver/i.test(line) && !/cpu_feature_guard/.test(line));
    if (cudaLines.length > 0) report.gpuLog = cudaLines.map((line) => line.replace(/^[IWE]\d{4} [\d:.]+\s+\d+\s+/, '').trim()).slice(0, 8);
  }
  if (!(report.gradientRelError <= GRADIENT_TOLERANCE)) {
    throw new NativeSetupError('self-test-failed', `${npmPackage} loads, but its convolution gradient differs from the cpu backend's by ${report.gradientRelError.toExponential(2)} (more than ${GRADIENT_TOLERANCE})`, {
      hint: 'do not train on it; report the TensorFlow version and this number',
    });
  }
  if (!Number.isFinite(report.stepLoss)) {
    throw new NativeSetupError('self-test-failed', `${npmPackage} loads, but a training step gave loss ${report.stepLoss}`, {
      hint: 'do not train on it; report the TensorFlow version',
    });
  }
  return report;
}
