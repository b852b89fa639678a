/**
 * GPU setup, machine without a GPU or not: do NVIDIA's placed libraries load? Each of the libraries
 * TensorFlow opens (CUDA runtime, cuBLAS, cuDNN, cuFFT, cuSPARSE, cuSOLVER, NCCL) is loaded with the
 * dynamic loader (through Python's ctypes, which pip guarantees), which also resolves what each needs
 * from the others through their own RUNPATHs. That they sit where libtensorflow looks is the layout's
 * part (deps/nvidia/<part>/lib = $ORIGIN/../nvidia/<part>/lib from deps/lib). Only the driver's
 * libcuda.so.1 may be missing, and only where there is no driver.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.ts';
import type { PackageLayout } from './layout.ts';

/** [part, library] pairs TensorFlow 2.21 opens at run time for a GPU. */
export const CUDA_LIBRARIES: readonly (readonly [string, string])[] = [
  ['cuda_runtime', 'libcudart.so.12'],
  ['cublas', 'libcublas.so.12'],
  ['cublas', 'libcublasLt.so.12'],
  ['cudnn', 'libcudnn.so.9'],
  ['cufft', 'libcufft.so.11'],
  ['cusparse', 'libcusparse.so.12'],
  ['cusolver', 'libcusolver.so.11'],
  ['nccl', 'libnccl.so.2'],
];

export interface CudaLibraryCheck {
  loaded: string[];
  /** Library → why it did not load (missing file, or the loader's message). */
  failed: Record<string, string>;
}

const PROBE = [
  'import ctypes, json, sys',
  'out = {}',
  'for path in sys.argv[1:]:',
  '    try:',
  '        ctypes.CDLL(path)',
  '        out[path] = None',
  '    except OSError as error:',
  '        out[path] = str(error)',
  'print(json.dumps(out))',
].join('\n');

export async function checkCudaLibraries(layout: PackageLayout, python: string): Promise<CudaLibraryCheck> {
  const check: CudaLibraryCheck = { loaded: [], failed: {} };
  const paths: string[] = [];
  for (const [part, library] of CUDA_LIBRARIES) {
    const path = join(layout.nvidia, part, 'lib', library);
    if (existsSync(path)) paths.push(path);
    else check.failed[library] = `not placed (${path})`;
  }
  const result = await exec(python, ['-c', PROBE, ...paths]);
  const outcome = JSON.parse(result.stdout.trim() || '{}') as Record<string, string | null>;
  for (const path of paths) {
    const library = path.split('/').pop()!;
    const error = outcome[path];
    if (error === null) check.loaded.push(library);
    else check.failed[library] = error ?? 'not probed';
  }
  return check;
}
