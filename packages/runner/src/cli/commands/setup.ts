import { Argument, type Command } from 'commander';
import type { CliContext } from '../context.ts';

interface SetupCliOptions {
  tensorflowVersion?: string;
  force?: boolean;
  gpuCheck: boolean;
  json?: boolean;
  verbose?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('setup')
    .description("Set up a faster backend. 'native' (CPU, tensorflow-cpu wheel) or 'gpu' (CUDA 12: the tensorflow wheel and NVIDIA's nvidia-*-cu12 wheels): build TensorFlow.js's native binding against TensorFlow from PyPI (needs pip, a C++ compiler and make). 'webgpu': TensorFlow.js's WebGPU backend on Dawn (npm packages webgpu and @tensorflow/tfjs-backend-webgpu; needs libvulkan1 and a Vulkan driver). Each ends with a self-test; downloads only from the package registries; safe to rerun.")
    .addArgument(new Argument('<target>', 'what to set up').choices(['native', 'gpu', 'webgpu']))
    .option('--tensorflow-version <version>', 'TensorFlow release whose libtensorflow is used (default: XP_TENSORFLOW_VERSION, else 2.21.0)')
    .option('--force', 'redo every step, even those a previous setup did')
    .option('--no-gpu-check', 'gpu: build even without an NVIDIA driver (e.g. an image for a GPU machine)')
    .option('--verbose', "show every line of pip's, npm's and the compiler's output")
    .option('--json', 'print the result (versions, wheels, self-test) as JSON')
    .action(async (target: 'native' | 'gpu' | 'webgpu', options: SetupCliOptions) => {
      if (target === 'webgpu') {
        const { runWebgpuSetup } = await import('@xp/engine/webgpu/setup');
        ctx.exit(await runWebgpuSetup({ json: options.json }, { env: ctx.env, stdout: ctx.stdout, stderr: ctx.stderr }));
        return;
      }
      const { runSetupCommand } = await import('@xp/native');
      const code = await runSetupCommand(target === 'gpu' ? 'gpu' : 'cpu', options, {
        env: ctx.env,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        progressStream: process.stderr,
      });
      ctx.exit(code);
    });
}
