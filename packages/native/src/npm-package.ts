/**
 * Installs @tensorflow/tfjs-node(-gpu) next to xp's own TensorFlow.js, without its install script.
 *
 * It must land in the node_modules that holds the @tensorflow/tfjs-core xp uses: the package
 * registers its backend with the tfjs-core it resolves, and a second copy would register it where
 * xp never looks. It is not a dependency in package.json because `npm ci` would then run its install
 * script, which downloads libtensorflow from storage.googleapis.com; `--no-save --ignore-scripts`
 * keeps package.json and the lock file as they are, so `npm ci` (or any `npm install`) removes it
 * again and `xp setup native` puts it back.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { exec, lastLines } from './exec.ts';
import { NativeSetupError } from './errors.ts';

/** The directory whose node_modules holds the @tensorflow/tfjs-core that xp loads. */
export function tfjsRoot(from: string = import.meta.url): string {
  const require = createRequire(from);
  const core = require.resolve('@tensorflow/tfjs-core/package.json');
  const marker = `${sep}node_modules${sep}`;
  return core.slice(0, core.lastIndexOf(marker));
}

export function packageDir(root: string, npmPackage: string): string {
  return join(root, 'node_modules', ...npmPackage.split('/'));
}

export function installedVersion(root: string, npmPackage: string): string | undefined {
  const manifest = join(packageDir(root, npmPackage), 'package.json');
  if (!existsSync(manifest)) return undefined;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The @tensorflow/tfjs-core version xp uses, which the binding package must match. */
export function tfjsCoreVersion(root: string): string | undefined {
  return installedVersion(root, '@tensorflow/tfjs-core');
}

/** The native packages xp setup installs; each install must name the others that are present. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] as const;

/** What xp setup adds inside a package (see layout.ts), which npm does not know about. */
const BUILT_DIRS = ['deps', 'lib'] as const;

/**
 * `npm install --no-save` removes every package that is neither in the lock file nor named on its
 * command line, so installing one native package would remove the other: both are named, the one
 * already there at its installed version.
 */
export function installArgs(root: string, npmPackage: string, version: string): string[] {
  const keep = NATIVE_PACKAGES.filter((p) => p !== npmPackage).flatMap((p) => {
    const installed = installedVersion(root, p);
    return installed ? [`${p}@${installed}`] : [];
  });
  return ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${npmPackage}@${version}`, ...keep];
}

/**
 * npm also unpacks the other package afresh, which deletes what xp setup placed and built in it
 * (deps/, lib/): those directories are moved aside for the install and back afterwards, if the
 * package is still there at the same version. Returns the function that moves them back.
 */
export function setBuildsAside(root: string, npmPackage: string): () => void {
  const aside = join(root, 'node_modules', '.xp-native-aside');
  const moved: { pkg: string; version: string; dir: string; from: string; to: string }[] = [];
  for (const pkg of NATIVE_PACKAGES.filter((p) => p !== npmPackage)) {
    const version = installedVersion(root, pkg);
    if (!version) continue;
    for (const dir of BUILT_DIRS) {
      const from = join(packageDir(root, pkg), dir);
      if (!existsSync(from)) continue;
      const to = join(aside, pkg.replace('/', '+'), dir);
      rmSync(to, { recursive: true, force: true });
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
      moved.push({ pkg, version, dir, from, to });
    }
  }
  return () => {
    for (const m of moved) {
      if (installedVersion(root, m.pkg) === m.version) {
        rmSync(m.from, { recursive: true, force: true });
        renameSync(m.to, m.from);
      }
    }
    rmSync(aside, { recursive: true, force: true });
  };
}

export async function installBindingPackage(root: string, npmPackage: string, version: string, options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}): Promise<void> {
  const args = installArgs(root, npmPackage, version);
  const restore = setBuildsAside(root, npmPackage);
  let result;
  try {
    result = await exec('npm', args, { cwd: root, env: options.env, onLine: options.onLine });
  } finally {
    restore();
  }
  if (result.code !== 0 || installedVersion(root, npmPackage) !== version) {
    const output = `${result.stdout}\n${result.stderr}`;
    throw new NativeSetupError('npm-install-failed', `npm could not install ${npmPackage}@${version} into ${join(root, 'node_modules')}`, {
      hint: /ENOTFOUND|ETIMEDOUT|EAI_AGAIN/.test(output) ? 'the npm registry could not be reached; check npm config get registry' : `see the output below (npm ${args.join(' ')})`,
      detail: lastLines(output),
    });
  }
}
