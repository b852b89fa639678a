/**
 * Where things go inside an installed @tensorflow/tfjs-node(-gpu), as its binding.gyp and loader
 * expect them:
 *
 *   deps/include/…                       the C headers the binding compiles against
 *   deps/lib/libtensorflow_cc.so.2        the wheel's libraries, under their own sonames, which
 *   deps/lib/libtensorflow_framework.so.2   the built binding records and finds through its RUNPATH
 *                                           ($ORIGIN/../../deps/lib)
 *   deps/lib/libtensorflow.so             link-time names binding.gyp's -ltensorflow and
 *   deps/lib/libtensorflow_framework.so     -ltensorflow_framework look for (symlinks)
 *   deps/nvidia/<part>/lib/…              GPU only: NVIDIA's CUDA 12 libraries, where the wheel's
 *                                           libtensorflow looks for them ($ORIGIN/../nvidia/<part>/lib)
 *   deps/xp-native.json                   what was placed (target, versions, wheels)
 *   lib/napi-v8/tfjs_binding.node         the built binding (node-pre-gyp's module_path)
 *   lib/xp-native.json                    what it was built against
 */
import { join } from 'node:path';

export const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'] as const;

/** Link-time name → the library it points at. */
export const LINK_NAMES: Readonly<Record<string, string>> = {
  'libtensorflow.so': 'libtensorflow_cc.so.2',
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
};

/** Where the libraries sit inside the TensorFlow wheel. */
export const WHEEL_LIBRARY_DIR = 'tensorflow/';
export const WHEEL_INCLUDE_DIR = 'tensorflow/include/';

export interface PackageLayout {
  root: string;
  deps: string;
  lib: string;
  include: string;
  nvidia: string;
  depsStamp: string;
  /** The directory node-pre-gyp builds into for the Node-API version it picks (the highest tfjs-node lists: 8). */
  bindingDir: string;
  binding: string;
  buildStamp: string;
  /** The binding's C++ sources, whose includes decide which headers are placed. */
  sources: string;
}

export function packageLayout(root: string): PackageLayout {
  const deps = join(root, 'deps');
  const bindingDir = join(root, 'lib', 'napi-v8');
  return {
    root,
    deps,
    lib: join(deps, 'lib'),
    include: join(deps, 'include'),
    nvidia: join(deps, 'nvidia'),
    depsStamp: join(deps, 'xp-native.json'),
    bindingDir,
    binding: join(bindingDir, 'tfjs_binding.node'),
    buildStamp: join(root, 'lib', 'xp-native.json'),
    sources: join(root, 'binding'),
  };
}
