/**
 * A downloaded wheel, read through wheel_tool.py (Python's zipfile): its metadata, its member list,
 * the text of a few headers, and streamed extraction of the shared libraries.
 */
import { fileURLToPath } from 'node:url';
import { exec, lastLines } from './exec.ts';
import { NativeSetupError } from './errors.ts';

const TOOL = fileURLToPath(new URL('./wheel_tool.py', import.meta.url));

export interface ExtractProgress {
  done: number;
  total: number;
}

/** [member or prefix/ in the wheel, path or directory/ under the destination]. */
export type ExtractMapping = readonly (readonly [string, string])[];

export class Wheel {
  readonly path: string;
  private readonly python: string;

  constructor(path: string, python: string) {
    this.path = path;
    this.python = python;
  }

  private async run(args: string[], onLine?: (line: string) => void): Promise<string> {
    const result = await exec(this.python, [TOOL, args[0], this.path, ...args.slice(1)], { onLine });
    if (result.code !== 0) {
      throw new NativeSetupError('bad-wheel', `could not read ${this.path} (${args[0]})`, {
        hint: 'the file may be truncated: delete it and rerun the setup to download it again',
        detail: lastLines(result.stderr),
      });
    }
    return result.stdout;
  }

  metadata(): Promise<string> {
    return this.run(['metadata']);
  }

  /** Member name → uncompressed size. */
  async list(): Promise<Map<string, number>> {
    return new Map(Object.entries(JSON.parse(await this.run(['list'])) as Record<string, number>));
  }

  /** Member name → text, for the named members. */
  async read(names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    return new Map(Object.entries(JSON.parse(await this.run(['read', ...names])) as Record<string, string>));
  }

  async extract(dest: string, mapping: ExtractMapping, onProgress?: (progress: ExtractProgress) => void): Promise<void> {
    await this.run(['extract', dest, JSON.stringify(mapping)], (line) => {
      if (!onProgress || !line.startsWith('{')) return;
      onProgress(JSON.parse(line) as ExtractProgress);
    });
  }
}

/**
 * The requirements a wheel's METADATA lists for an extra, e.g. TensorFlow's `and-cuda`:
 * `Requires-Dist: nvidia-cublas-cu12<13.0,>=12.5.3.2; extra == "and-cuda"` → `nvidia-cublas-cu12<13.0,>=12.5.3.2`.
 */
export function requirementsForExtra(metadata: string, extra: string): string[] {
  const out: string[] = [];
  for (const line of metadata.split(/\r?\n/)) {
    const match = /^Requires-Dist:\s*([^;]+?)\s*;\s*(.*)$/.exec(line);
    if (!match) continue;
    const marker = match[2];
    if (!new RegExp(`extra\\s*==\\s*["']${extra.replace(/[-_.]/g, '[-_.]')}["']`).test(marker)) continue;
    // Markers other than the extra (platform, Python version) would need evaluating; TensorFlow's
    // and-cuda requirements have none, and a requirement that has one is left to the user.
    if (marker.replace(/extra\s*==\s*["'][^"']*["']/, '').replace(/\band\b|[()\s]/g, '') !== '') continue;
    out.push(match[1].replace(/\s+/g, ''));
  }
  return out;
}
