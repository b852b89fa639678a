/**
 * `xp setup webgpu`: makes TensorFlow.js's WebGPU backend on Dawn ready, or says exactly what is
 * missing. Three steps, each printed:
 *
 *   1. the npm packages `webgpu` (Dawn's prebuilt dawn.node) and `@tensorflow/tfjs-backend-webgpu`:
 *      optional dependencies, so `npm ci` normally installed them; absent (`--omit=optional`), npm
 *      installs them at the tested versions
 *   2. the Vulkan loader (libvulkan.so.1) and a Vulkan driver: looked for, not installed (apt needs root)
 *   3. the self-test in a fresh process: the adapter, a convolution's gradients against `cpu`, one step
 *
 * Exit codes: 0 ready (on a GPU, or on a CPU emulation, which is said); 1 something is missing or wrong.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describeAdapter, missingWebgpuPackages, WEBGPU_PACKAGES } from './dawn.ts';
import { runWebgpuSelfTest, WEBGPU_GRADIENT_TOLERANCE, type WebgpuSelfTestReport } from './self-test.ts';
import { findVulkan, LAVAPIPE_INSTALL, NVIDIA_DRIVER_HINT, vulkanProblems, type VulkanStack } from './vulkan.ts';

export interface WebgpuSetupIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface WebgpuSetupResult {
  packages: Record<string, string>;
  installed: string[];
  vulkan: VulkanStack;
  report: WebgpuSelfTestReport;
}

/** The workspace root: where `npm ci` put node_modules (this package sits in packages/engine). */
function projectRoot(): string {
  return dirname(dirname(dirname(createRequire(import.meta.url).resolve('@xp/engine/package.json'))));
}

function installedVersion(pkg: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(pkg);
    let dir = dirname(main);
    // Walk up from the entry point to the package's own package.json.
    for (let i = 0; i < 5; i++) {
      try {
        const meta = require(join(dir, 'package.json')) as { name?: string; version?: string };
        if (meta.name === pkg) return meta.version;
      } catch {
        // not here
      }
      dir = dirname(dir);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export async function runWebgpuSetup(options: { json?: boolean }, io: WebgpuSetupIo): Promise<number> {
  const fail = (message: string, hint?: string, detail?: string): number => {
    io.stderr(`xp setup webgpu: ${message}\n`);
    if (detail) io.stderr(`${detail.split('\n').map((line) => `  | ${line}`).join('\n')}\n`);
    if (hint) io.stderr(`  hint: ${hint}\n`);
    return 1;
  };
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    return fail(`xp tests the WebGPU backend on Linux x64 and arm64 only (this is ${process.platform}-${process.arch})`);
  }

  io.stderr('[1/3] npm packages: webgpu (Dawn) and @tensorflow/tfjs-backend-webgpu\n');
  const missing = missingWebgpuPackages();
  if (missing.length > 0) {
    const specs = missing.map((pkg) => `${pkg}@${WEBGPU_PACKAGES[pkg as keyof typeof WEBGPU_PACKAGES]}`);
    io.stderr(`      installing ${specs.join(' ')} with npm\n`);
    const npm = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', ...specs], { cwd: projectRoot(), env: io.env, encoding: 'utf8' });
    if (npm.status !== 0 || missingWebgpuPackages().length > 0) {
      return fail(`npm could not install ${specs.join(' ')}`, `run \`npm install ${specs.join(' ')}\` in ${projectRoot()} and read npm's error`, `${npm.stdout ?? ''}\n${npm.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n'));
    }
  }
  const packages = Object.fromEntries(Object.keys(WEBGPU_PACKAGES).map((pkg) => [pkg, installedVersion(pkg) ?? 'unknown']));
  for (const [pkg, want] of Object.entries(WEBGPU_PACKAGES)) {
    if (packages[pkg] !== want) io.stderr(`      note: ${pkg} ${packages[pkg]} is installed; xp is tested with ${want}\n`);
  }

  io.stderr('[2/3] Vulkan: the loader libvulkan.so.1 and a driver\n');
  const vulkan = findVulkan(io.env);
  const problems = vulkanProblems(vulkan, io.env);
  if (problems.length > 0) return fail(`Dawn computes through Vulkan, and ${problems.join('; and ')}`);

  io.stderr('[3/3] self-test: adapter, convolution gradients against cpu, one training step\n');
  const outcome = await runWebgpuSelfTest(io.env);
  if (outcome.kind === 'no-adapter') {
    return fail('Dawn loads, but finds no WebGPU adapter on the Vulkan drivers here', `the driver may be too old for Dawn (Mesa 22.3's lavapipe is). ${NVIDIA_DRIVER_HINT}; without a GPU, ${LAVAPIPE_INSTALL}`);
  }
  if (outcome.kind === 'failed') {
    return fail("the WebGPU backend did not start or its self-test crashed", 'the lines above are its own output', outcome.output);
  }
  const r = outcome.report;
  const worst = Math.max(r.filterGradientRelError, r.inputGradientRelError);
  if (!(worst <= WEBGPU_GRADIENT_TOLERANCE)) {
    return fail(`on ${describeAdapter(r.adapter)} a convolution's gradient differs from the cpu backend's by ${worst.toExponential(2)} (more than ${WEBGPU_GRADIENT_TOLERANCE})`, 'do not train on it; report the adapter and this number');
  }
  if (!Number.isFinite(r.stepLoss)) return fail(`on ${describeAdapter(r.adapter)} a training step gave loss ${r.stepLoss}`, 'do not train on it; report the adapter');

  const result: WebgpuSetupResult = { packages, installed: missing, vulkan, report: r };
  if (options.json) {
    io.stdout(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const lines = [
    `ready: backend 'webgpu' — @tensorflow/tfjs-backend-webgpu ${packages['@tensorflow/tfjs-backend-webgpu']} on Dawn (webgpu ${packages.webgpu})${missing.length > 0 ? ', just installed' : ''}`,
    `  adapter: ${describeAdapter(r.adapter)} [vendor ${r.adapter.vendor || '?'}, architecture ${r.adapter.architecture || '?'}]`,
    `  Vulkan: ${vulkan.loader}; drivers: ${vulkan.drivers.map((d) => d.split('/').pop()).join(', ')}`,
    `  self-test: starts in ${(r.startMs / 1000).toFixed(1)} s; conv → relu → max-pool gradients vs the cpu backend: filter ${r.filterGradientRelError.toExponential(1)}, input ${r.inputGradientRelError.toExponential(1)} (limit ${WEBGPU_GRADIENT_TOLERANCE}); one training step of a small convnet (batch 32) ${r.stepMs.toFixed(0)} ms, loss ${r.stepLoss.toFixed(3)}`,
    r.adapter.software
      ? "  auto will not take it: this adapter emulates a GPU on the CPU (correct, slower than the wasm engine); name it with --backend webgpu"
      : '  auto takes it where `xp bench <spec> --backend all` measures it at least 10 % faster than the wasm engine',
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}
