/**
 * What a setup step produced, written next to it so that a rerun can tell "already done, with these
 * versions" from "missing, stale or half-written" and redo only what is needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import type { NativeTarget } from './targets.ts';

export interface NativeStamp {
  target: NativeTarget;
  tfjsNode: string;
  tensorflow: string;
  /** The TensorFlow wheel's file name. */
  wheel: string;
  /** GPU: the NVIDIA wheels' file names. */
  cudaWheels?: string[];
}

export function readStamp(path: string): NativeStamp | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as NativeStamp;
  } catch {
    return undefined;
  }
}

export function writeStamp(path: string, stamp: NativeStamp): void {
  writeFileAtomic.sync(path, `${JSON.stringify(stamp, null, 2)}\n`);
}

export function sameStamp(a: NativeStamp | undefined, b: NativeStamp): boolean {
  if (!a) return false;
  return a.target === b.target && a.tfjsNode === b.tfjsNode && a.tensorflow === b.tensorflow && a.wheel === b.wheel
    && JSON.stringify(a.cudaWheels ?? []) === JSON.stringify(b.cudaWheels ?? []);
}
