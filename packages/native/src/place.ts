/**
 * Puts the wheel's libraries and headers (and, for the GPU, NVIDIA's libraries) into the installed
 * tfjs-node package's deps/ (see layout.ts). Everything is written into deps.partial and renamed into
 * place at the end, so an interrupted setup leaves either the old deps/ or the new one, never half.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { headerClosure } from './header-closure.ts';
import { LIBRARIES, LINK_NAMES, WHEEL_INCLUDE_DIR, WHEEL_LIBRARY_DIR, type PackageLayout } from './layout.ts';
import { NativeSetupError } from './errors.ts';
import { writeStamp, type NativeStamp } from './stamp.ts';
import type { ExtractMapping, ExtractProgress, Wheel } from './wheel.ts';

export interface PlaceOptions {
  layout: PackageLayout;
  tensorflowWheel: Wheel;
  /** GPU: NVIDIA's wheels, whose nvidia/<part>/lib directories go to deps/nvidia. */
  cudaWheels?: readonly Wheel[];
  stamp: NativeStamp;
  onProgress?: (what: string, progress: ExtractProgress) => void;
}

/** The binding's own sources (binding/*.cc, *.h), whose includes are followed into the wheel. */
function bindingSources(layout: PackageLayout): string[] {
  return readdirSync(layout.sources)
    .filter((name) => /\.(cc|h)$/.test(name))
    .map((name) => readFileSync(join(layout.sources, name), 'utf8'));
}

/** Headers (relative to the include root) the binding needs from this wheel. */
export async function neededHeaders(layout: PackageLayout, wheel: Wheel, members: ReadonlyMap<string, number>): Promise<string[]> {
  const available = new Set<string>();
  for (const name of members.keys()) {
    if (name.startsWith(WHEEL_INCLUDE_DIR)) available.add(name.slice(WHEEL_INCLUDE_DIR.length));
  }
  const headers = await headerClosure(bindingSources(layout), available, async (paths) => {
    const texts = await wheel.read(paths.map((p) => WHEEL_INCLUDE_DIR + p));
    return new Map([...texts].map(([name, text]) => [name.slice(WHEEL_INCLUDE_DIR.length), text]));
  });
  if (!headers.includes('tensorflow/c/c_api.h')) {
    throw new NativeSetupError('bad-wheel', `${basename(wheel.path)} has no tensorflow/include/tensorflow/c/c_api.h`, {
      hint: 'this TensorFlow version does not ship the C API headers; use the default version',
    });
  }
  return headers;
}

export async function placeLibraries(options: PlaceOptions): Promise<void> {
  const { layout } = options;
  const partial = `${layout.deps}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, 'lib'), { recursive: true });

  const members = await options.tensorflowWheel.list();
  for (const library of LIBRARIES) {
    if (!members.has(WHEEL_LIBRARY_DIR + library)) {
      throw new NativeSetupError('bad-wheel', `${basename(options.tensorflowWheel.path)} has no ${WHEEL_LIBRARY_DIR}${library}`, {
        hint: 'only TensorFlow 2.x wheels for Linux x86-64 carry libtensorflow_cc.so.2; check --tensorflow-version',
      });
    }
  }
  const headers = await neededHeaders(layout, options.tensorflowWheel, members);
  const mapping: ExtractMapping = [
    ...LIBRARIES.map((library) => [WHEEL_LIBRARY_DIR + library, `lib/${library}`] as const),
    ...headers.map((header) => [WHEEL_INCLUDE_DIR + header, `include/${header}`] as const),
  ];
  await options.tensorflowWheel.extract(partial, mapping, (p) => options.onProgress?.(basename(options.tensorflowWheel.path), p));
  for (const [link, target] of Object.entries(LINK_NAMES)) symlinkSync(target, join(partial, 'lib', link));

  for (const wheel of options.cudaWheels ?? []) {
    // Each NVIDIA wheel holds nvidia/<part>/{lib,include,bin}/…; libtensorflow looks in
    // $ORIGIN/../nvidia/<part>/lib, i.e. deps/nvidia/<part>/lib next to deps/lib.
    await wheel.extract(partial, [['nvidia/', 'nvidia/']], (p) => options.onProgress?.(basename(wheel.path), p));
  }

  writeStamp(join(partial, basename(layout.depsStamp)), options.stamp);
  rmSync(layout.deps, { recursive: true, force: true });
  renameSync(partial, layout.deps);
}

/** The deps/nvidia/<part>/lib directories placed for the GPU, for LD_LIBRARY_PATH or a report. */
export function cudaLibraryDirs(layout: PackageLayout): string[] {
  if (!existsSync(layout.nvidia)) return [];
  return readdirSync(layout.nvidia)
    .map((part) => join(layout.nvidia, part, 'lib'))
    .filter((dir) => existsSync(dir));
}
