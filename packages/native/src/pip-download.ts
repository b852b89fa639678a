/**
 * Fetches wheels with `pip download`: the package registry (PyPI or the mirror pip is configured
 * for) is the only place binaries come from. `--no-deps` because only the named wheels' shared
 * libraries are used, never their Python dependencies; `--only-binary` because a source build of
 * TensorFlow is not an option; `--python-version` pins which of the identical-library wheels is taken.
 * A wheel already in the destination is not fetched again (pip checks it), which makes reruns cheap.
 *
 * Progress: pip draws no bar when its output is piped, so pip is given a temporary directory of
 * ours (TMPDIR) and the file it is downloading there is watched as it grows.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { exec, lastLines } from './exec.ts';
import { NativeSetupError } from './errors.ts';
import { WHEEL_PYTHON_VERSION } from './targets.ts';

export interface DownloadProgress {
  file: string;
  bytes: number;
  /** From pip's "Downloading x.whl (273.8 MB)" line; undefined if pip did not say. */
  total?: number;
}

export interface PipDownloadOptions {
  python: string;
  dest: string;
  env?: NodeJS.ProcessEnv;
  /** pip's output lines (Collecting…, Downloading… (273.8 MB), Saved…). */
  onLine?: (line: string) => void;
  /** Bytes of the wheel being downloaded, about twice a second. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** The pip arguments for requirements like `tensorflow-cpu==2.21.0`. */
export function pipDownloadArgs(requirements: readonly string[], dest: string): string[] {
  return [
    '-m', 'pip', 'download',
    '--no-deps', '--only-binary=:all:', '--python-version', WHEEL_PYTHON_VERSION,
    '--disable-pip-version-check', '--no-input', '--progress-bar', 'off',
    '--dest', dest,
    ...requirements,
  ];
}

const UNITS: Record<string, number> = { kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, bytes: 1 };

/** What one line of pip's output says about a wheel: being downloaded (with its size) or in place. */
export function parsePipLine(line: string): { downloading?: { file: string; total?: number }; saved?: string } {
  const downloading = /^\s*Downloading\s+(\S+\.whl)(?:\s+\(([\d.]+)\s*(kB|KB|MB|GB|bytes)\))?/.exec(line);
  if (downloading) {
    const file = basename(downloading[1].replace(/^.*\//, ''));
    const total = downloading[2] ? Math.round(Number(downloading[2]) * UNITS[downloading[3]]) : undefined;
    return { downloading: { file, total } };
  }
  const saved = /^\s*(?:Saved|File was already downloaded)\s+(\S+\.whl)\s*$/.exec(line);
  if (saved) return { saved: basename(saved[1]) };
  return {};
}

function sizeOfPartial(tmp: string, file: string): number | undefined {
  try {
    for (const dir of readdirSync(tmp)) {
      try {
        return statSync(join(tmp, dir, file)).size;
      } catch {
        // not in this one
      }
    }
  } catch {
    // pip has not made its directory yet
  }
  return undefined;
}

/** Downloads the requirements into dest and returns the wheels' paths, in pip's order. */
export async function pipDownload(requirements: readonly string[], options: PipDownloadOptions): Promise<string[]> {
  mkdirSync(options.dest, { recursive: true });
  const tmp = join(options.dest, `.pip-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const saved: string[] = [];
  let current: { file: string; total?: number } | undefined;
  const timer = options.onProgress
    ? setInterval(() => {
        if (!current) return;
        const bytes = sizeOfPartial(tmp, current.file);
        if (bytes !== undefined) options.onProgress!({ file: current.file, bytes, total: current.total });
      }, 500)
    : undefined;
  try {
    const result = await exec(options.python, pipDownloadArgs(requirements, options.dest), {
      cwd: options.dest,
      env: { ...(options.env ?? process.env), TMPDIR: tmp },
      onLine: (line) => {
        options.onLine?.(line);
        const parsed = parsePipLine(line);
        if (parsed.downloading) current = parsed.downloading;
        if (parsed.saved) {
          current = undefined;
          saved.push(join(options.dest, parsed.saved));
        }
      },
    });
    if (result.code !== 0) {
      const output = `${result.stdout}\n${result.stderr}`;
      const offline = /ENOTFOUND|Name or service not known|Temporary failure in name resolution|NewConnectionError|Max retries exceeded/i.test(output);
      const noMatch = /No matching distribution found|Could not find a version that satisfies/i.test(output);
      throw new NativeSetupError('pip-download-failed', `pip could not download ${requirements.join(' ')}`, {
        hint: offline
          ? "PyPI (or the index pip is configured for) could not be reached; point pip at a reachable mirror (pip config set global.index-url URL) and rerun"
          : noMatch
            ? `no wheel of that version for Linux x86-64 and Python ${WHEEL_PYTHON_VERSION}; check the version (--tensorflow-version)`
            : "see pip's output above",
        detail: lastLines(output),
      });
    }
    return saved;
  } finally {
    if (timer) clearInterval(timer);
    rmSync(tmp, { recursive: true, force: true });
  }
}
