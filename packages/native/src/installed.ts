/** What `xp setup` has installed here, read from the stamp written after the binding was built. */
import { packageLayout } from './layout.ts';
import { packageDir, tfjsRoot } from './npm-package.ts';
import { readStamp, type NativeStamp } from './stamp.ts';
import { TARGETS, type NativeTarget } from './targets.ts';

export function installedNative(target: NativeTarget, root: string = tfjsRoot()): NativeStamp | undefined {
  return readStamp(packageLayout(packageDir(root, TARGETS[target].npmPackage)).buildStamp);
}

/** The TensorFlow version the installed binding was built against, if any. */
export function installedTensorflowVersion(target: NativeTarget, root?: string): string | undefined {
  return installedNative(target, root)?.tensorflow;
}
