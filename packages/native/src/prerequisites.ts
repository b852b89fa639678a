/**
 * What a native setup needs from the machine before it downloads anything: Linux on x86-64 (the only
 * platform TensorFlow's wheels and this build are for), Python with pip (to fetch wheels from PyPI), a
 * C++ compiler and make (to build the binding), Node's own headers (node-gyp would otherwise download
 * them from nodejs.org, which an offline machine cannot reach), and for the GPU an NVIDIA driver.
 *
 * Every check reports all that is missing at once, each with how to get it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exec, ProgramNotFoundError } from './exec.ts';
import { NativeSetupError } from './errors.ts';
import type { NativeTarget } from './targets.ts';

export interface Toolchain {
  /** The Python that runs `-m pip`. */
  python: string;
  pipVersion: string;
  /** A directory with include/node/node_api.h, given to node-gyp as its nodedir. */
  nodedir: string;
  compiler: string;
}

export interface DriverInfo {
  /** The kernel module's version line, e.g. "NVRM version: ... 550.54.15 ...". */
  version?: string;
  /** Where libcuda.so.1 was found (the driver's user-space library TensorFlow loads). */
  libcuda?: string;
}

async function succeeds(program: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const result = await exec(program, args, { env });
    return result.code === 0 ? `${result.stdout}${result.stderr}`.trim() : undefined;
  } catch (error) {
    if (error instanceof ProgramNotFoundError) return undefined;
    throw error;
  }
}

export async function findPython(env: NodeJS.ProcessEnv): Promise<{ python?: string; pipVersion?: string; problem?: NativeSetupError }> {
  const candidates = env.XP_PYTHON ? [env.XP_PYTHON] : ['python3', 'python'];
  let anyPython: string | undefined;
  for (const python of candidates) {
    if ((await succeeds(python, ['--version'])) === undefined) continue;
    anyPython ??= python;
    const pip = await succeeds(python, ['-m', 'pip', '--version']);
    if (pip !== undefined) return { python, pipVersion: pip.split(/\s+/)[1] ?? pip };
  }
  if (anyPython === undefined) {
    return { problem: new NativeSetupError('no-python', `no Python found (tried ${candidates.join(', ')})`, {
      hint: 'install Python 3 with pip (Debian: apt-get install python3-pip), or point XP_PYTHON at one; it is used only to fetch TensorFlow wheels from PyPI',
    }) };
  }
  return { problem: new NativeSetupError('no-pip', `${anyPython} has no pip (\`${anyPython} -m pip\` failed)`, {
    hint: `install pip (Debian: apt-get install python3-pip, or \`${anyPython} -m ensurepip\`), or point XP_PYTHON at a Python that has it`,
  }) };
}

export async function findCompiler(env: NodeJS.ProcessEnv): Promise<{ compiler?: string; problem?: NativeSetupError }> {
  const compiler = env.CXX ?? 'c++';
  const missing: string[] = [];
  if ((await succeeds(compiler, ['--version'])) === undefined) missing.push(`a C++ compiler (${compiler})`);
  if ((await succeeds('make', ['--version'])) === undefined) missing.push('make');
  if (missing.length === 0) return { compiler };
  return { problem: new NativeSetupError('no-compiler', `building TensorFlow.js's binding needs ${missing.join(' and ')}, not found`, {
    hint: 'install them (Debian: apt-get install g++ make), or set CXX to a C++ compiler',
  }) };
}

/**
 * node-gyp's nodedir: npm's setting if it has the headers, else the Node installation's own
 * include/node (official tarballs ship it; Debian's nodejs package does too), else node-gyp's cache
 * of headers it downloaded earlier.
 */
export async function findNodeHeaders(env: NodeJS.ProcessEnv, npm = 'npm'): Promise<{ nodedir?: string; problem?: NativeSetupError }> {
  const hasHeaders = (dir: string) => existsSync(join(dir, 'include', 'node', 'node_api.h'));
  const candidates: string[] = [];
  if (env.npm_config_nodedir) candidates.push(env.npm_config_nodedir);
  const configured = await succeeds(npm, ['config', 'get', 'nodedir']);
  if (configured && configured !== 'undefined' && configured !== 'null') candidates.push(configured.split('\n').pop()!.trim());
  candidates.push(dirname(dirname(process.execPath)));
  const home = env.HOME ?? '';
  candidates.push(join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'node-gyp', process.versions.node));
  const nodedir = candidates.find(hasHeaders);
  if (nodedir) return { nodedir };
  return { problem: new NativeSetupError('no-node-headers', `Node.js ${process.version}'s headers (include/node/node_api.h) were not found in ${candidates.join(', ')}`, {
    hint: 'install them (Debian: apt-get install libnode-dev; Node.js tarballs include them), or set npm_config_nodedir to a directory holding include/node',
  }) };
}

/** The NVIDIA driver's kernel module and user-space library, without which TensorFlow sees no GPU. */
export async function findNvidiaDriver(): Promise<DriverInfo | undefined> {
  const info: DriverInfo = {};
  const procVersion = '/proc/driver/nvidia/version';
  if (existsSync(procVersion)) info.version = readFileSync(procVersion, 'utf8').split('\n')[0]?.trim();
  const ldconfig = (await succeeds('ldconfig', ['-p'])) ?? (await succeeds('/sbin/ldconfig', ['-p']));
  const line = ldconfig?.split('\n').find((l) => /libcuda\.so\.1\b/.test(l));
  if (line) info.libcuda = line.split('=>').pop()?.trim();
  return info.version || info.libcuda ? info : undefined;
}

export function noDriverError(): NativeSetupError {
  return new NativeSetupError('no-nvidia-driver', 'no NVIDIA driver found (no /proc/driver/nvidia/version, no libcuda.so.1 known to ldconfig)', {
    hint: 'install the NVIDIA driver (CUDA 12 needs 525.60 or newer); `xp setup gpu --no-gpu-check` builds the GPU binding anyway, e.g. for an image that will run on a GPU machine',
  });
}

/** Everything the setup needs, or one error listing every problem. */
export async function checkPrerequisites(target: NativeTarget, env: NodeJS.ProcessEnv, options: { gpuCheck: boolean }): Promise<Toolchain & { driver?: DriverInfo }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NativeSetupError('unsupported-platform', `native TensorFlow is set up on Linux x86-64 only; this is ${process.platform} ${process.arch}`, {
      hint: "use the default 'wasm' backend here",
    });
  }
  const [py, cc, headers] = await Promise.all([findPython(env), findCompiler(env), findNodeHeaders(env)]);
  const driver = target === 'gpu' ? await findNvidiaDriver() : undefined;
  const problems = [py.problem, cc.problem, headers.problem].filter((p): p is NativeSetupError => p !== undefined);
  if (target === 'gpu' && options.gpuCheck && !driver) problems.push(noDriverError());
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) {
    throw new NativeSetupError(problems[0].code, `${problems.length} things are missing:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`, {
      hint: problems.map((p) => p.hint).filter(Boolean).join('\n  hint: '),
    });
  }
  return { python: py.python!, pipVersion: py.pipVersion!, nodedir: headers.nodedir!, compiler: cc.compiler!, driver };
}
