import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageLayout } from './layout.ts';
import { cudaLibraryDirs, placeLibraries } from './place.ts';
import { readStamp } from './stamp.ts';
import { makeWheel } from './test-wheel.ts';
import { Wheel } from './wheel.ts';

const python = process.env.XP_PYTHON ?? 'python3';

function fakePackage(dir: string) {
  const root = join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
  mkdirSync(join(root, 'binding'), { recursive: true });
  writeFileSync(join(root, 'binding', 'tfjs_backend.h'), '#include <node_api.h>\n#include "tensorflow/c/c_api.h"\n');
  writeFileSync(join(root, 'binding', 'tfjs_backend.cc'), '#include "tfjs_backend.h"\n#include "tensorflow/core/platform/ctstring_internal.h"\n');
  return packageLayout(root);
}

describe('placeLibraries', () => {
  it("puts the wheel's two libraries, their link names and exactly the needed headers into deps/", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xp-place-'));
    const layout = fakePackage(dir);
    const wheelPath = makeWheel(dir, 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl', {
      'tensorflow/libtensorflow_cc.so.2': 'CC',
      'tensorflow/libtensorflow_framework.so.2': 'FW',
      'tensorflow/include/tensorflow/c/c_api.h': '#include "tensorflow/c/tf_status.h"\n',
      'tensorflow/include/tensorflow/c/tf_status.h': '// status\n',
      'tensorflow/include/tensorflow/core/platform/ctstring_internal.h': '#include "tsl/platform/ctstring_internal.h"\n',
      'tensorflow/include/tsl/platform/ctstring_internal.h': '// tsl\n',
      'tensorflow/include/tensorflow/core/framework/op.h': '// not needed\n',
      'tensorflow/python/_pywrap_tensorflow_internal.so': 'PY',
    });
    const stamp = { target: 'cpu' as const, tfjsNode: '4.22.0', tensorflow: '2.21.0', wheel: 'w.whl' };
    const events: { done: number; total: number }[] = [];
    await placeLibraries({ layout, tensorflowWheel: new Wheel(wheelPath, python), stamp, onProgress: (_, p) => events.push(p) });

    expect(readFileSync(join(layout.lib, 'libtensorflow_cc.so.2'), 'utf8')).toBe('CC');
    expect(statSync(join(layout.lib, 'libtensorflow_cc.so.2')).mode & 0o111).not.toBe(0);
    expect(readlinkSync(join(layout.lib, 'libtensorflow.so'))).toBe('libtensorflow_cc.so.2');
    expect(readlinkSync(join(layout.lib, 'libtensorflow_framework.so'))).toBe('libtensorflow_framework.so.2');
    for (const header of ['tensorflow/c/c_api.h', 'tensorflow/c/tf_status.h', 'tensorflow/core/platform/ctstring_internal.h', 'tsl/platform/ctstring_internal.h']) {
      expect(existsSync(join(layout.include, header)), header).toBe(true);
    }
    expect(existsSync(join(layout.include, 'tensorflow/core/framework/op.h'))).toBe(false);
    expect(existsSync(join(layout.deps, 'python'))).toBe(false);
    expect(readStamp(layout.depsStamp)).toEqual(stamp);
    // Progress counts the bytes written: the two libraries (2 bytes each) and the four headers.
    const headerBytes = '#include "tensorflow/c/tf_status.h"\n'.length + '// status\n'.length + '#include "tsl/platform/ctstring_internal.h"\n'.length + '// tsl\n'.length;
    expect(events.at(-1)).toEqual({ done: 4 + headerBytes, total: 4 + headerBytes });
    expect(existsSync(`${layout.deps}.partial`)).toBe(false);
  });

  it("GPU: NVIDIA's wheels go under deps/nvidia/<part>/lib, where libtensorflow's RUNPATH ($ORIGIN/../nvidia/…) looks", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xp-place-'));
    const layout = fakePackage(dir);
    const tf = makeWheel(dir, 'tensorflow-2.21.0.whl', {
      'tensorflow/libtensorflow_cc.so.2': 'CC',
      'tensorflow/libtensorflow_framework.so.2': 'FW',
      'tensorflow/include/tensorflow/c/c_api.h': '',
      'tensorflow/include/tensorflow/core/platform/ctstring_internal.h': '',
    });
    const cublas = makeWheel(dir, 'nvidia_cublas_cu12-12.9.1.4-py3-none-manylinux_2_27_x86_64.whl', {
      'nvidia/cublas/lib/libcublas.so.12': 'B',
      'nvidia/cublas/include/cublas.h': '',
      'nvidia_cublas_cu12-12.9.1.4.dist-info/METADATA': 'Name: nvidia-cublas-cu12',
    });
    const cudnn = makeWheel(dir, 'nvidia_cudnn_cu12-9.10.2.21-py3-none-manylinux_2_27_x86_64.whl', { 'nvidia/cudnn/lib/libcudnn.so.9': 'D' });
    await placeLibraries({
      layout,
      tensorflowWheel: new Wheel(tf, python),
      cudaWheels: [new Wheel(cublas, python), new Wheel(cudnn, python)],
      stamp: { target: 'gpu', tfjsNode: '4.22.0', tensorflow: '2.21.0', wheel: 'tensorflow-2.21.0.whl', cudaWheels: ['a', 'b'] },
    });
    expect(readFileSync(join(layout.deps, 'nvidia/cublas/lib/libcublas.so.12'), 'utf8')).toBe('B');
    expect(readFileSync(join(layout.deps, 'nvidia/cudnn/lib/libcudnn.so.9'), 'utf8')).toBe('D');
    expect(existsSync(join(layout.deps, 'nvidia_cublas_cu12-12.9.1.4.dist-info'))).toBe(false);
    expect(cudaLibraryDirs(layout).sort()).toEqual([join(layout.nvidia, 'cublas', 'lib'), join(layout.nvidia, 'cudnn', 'lib')]);
    expect(lstatSync(join(layout.lib, 'libtensorflow.so')).isSymbolicLink()).toBe(true);
  });

  it('refuses a wheel without libtensorflow_cc.so.2 and leaves the previous deps/ alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xp-place-'));
    const layout = fakePackage(dir);
    mkdirSync(layout.lib, { recursive: true });
    writeFileSync(join(layout.lib, 'previous'), 'kept');
    const wheel = makeWheel(dir, 'tensorflow_cpu-1.15.0.whl', { 'tensorflow/include/tensorflow/c/c_api.h': '' });
    await expect(placeLibraries({ layout, tensorflowWheel: new Wheel(wheel, python), stamp: { target: 'cpu', tfjsNode: '4.22.0', tensorflow: '1.15.0', wheel: 'w' } }))
      .rejects.toMatchObject({ name: 'NativeSetupError', code: 'bad-wheel' });
    expect(readFileSync(join(layout.lib, 'previous'), 'utf8')).toBe('kept');
  });
});
