/**
 * Compiles tfjs-node's binding against the placed libraries with node-pre-gyp (tfjs-node's own
 * dependency) and node-gyp, from source and offline.
 *
 * Not `npm rebuild`: tfjs-node's install script downloads libtensorflow 2.9.1 from
 * storage.googleapis.com unless deps/lib/libtensorflow.so.2.9.1 exists (and deletes deps/ before it
 * tries), and its `node-pre-gyp install --fallback-to-build` first tries to download a prebuilt
 * binding from the same bucket. Calling node-pre-gyp's `rebuild --build-from-source` directly does
 * the compile step alone. `--build-latest-napi-version-only` builds the one Node-API version the
 * loader picks (8) instead of all six tfjs-node lists.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exec, lastLines } from './exec.ts';
import { NativeSetupError } from './errors.ts';
import type { PackageLayout } from './layout.ts';

export interface BuildOptions {
  layout: PackageLayout;
  nodedir: string;
  env?: NodeJS.ProcessEnv;
  /** The compiler's and node-gyp's output, line by line. */
  onLine?: (line: string) => void;
  /** Where the full build output is kept (quoted in the error when the build fails). */
  logFile: string;
}

function nodePreGyp(layout: PackageLayout): string {
  const require = createRequire(join(layout.root, 'package.json'));
  return join(dirname(require.resolve('@mapbox/node-pre-gyp/package.json')), 'bin', 'node-pre-gyp');
}

export async function buildBinding(options: BuildOptions): Promise<void> {
  const { layout } = options;
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), npm_config_nodedir: options.nodedir };
  let tool: string;
  try {
    tool = nodePreGyp(layout);
  } catch (cause) {
    throw new NativeSetupError('build-failed', `@mapbox/node-pre-gyp (a dependency of ${layout.root}) is not installed`, {
      hint: 'rerun with --force to reinstall the package', cause,
    });
  }
  const result = await exec(process.execPath, [tool, 'rebuild', '--build-from-source', '--build-latest-napi-version-only'], {
    cwd: layout.root,
    env,
    onLine: options.onLine,
  });
  mkdirSync(dirname(options.logFile), { recursive: true });
  writeFileSync(options.logFile, `${result.stdout}\n${result.stderr}`);
  if (result.code !== 0 || !existsSync(layout.binding)) {
    const output = `${result.stdout}\n${result.stderr}`;
    const errors = output.split('\n').filter((line) => /error|fatal|undefined reference|cannot find/i.test(line) && !/^(gyp|node-pre-gyp) (ERR!|info)/.test(line));
    throw new NativeSetupError('build-failed', 'building the TensorFlow.js binding failed', {
      hint: `the full output is in ${options.logFile}`,
      detail: errors.length > 0 ? errors.slice(0, 15).join('\n') : lastLines(output),
    });
  }
}
