/** Dotted paths into a spec ("train.lr", "model.blocks.head", "data.inputs.0"). */

export type PathSegment = string | number;

export function parsePath(dotted: string): string[] {
  return dotted.split('.');
}

/** Sets `value` at `path`, creating intermediate mappings; list items are addressed by index. */
export function setPath(root: Record<string, unknown>, path: readonly PathSegment[], value: unknown): void {
  let node: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) {
    const next = node[String(key)];
    if (next === null || typeof next !== 'object') node[String(key)] = {};
    node = node[String(key)] as Record<string, unknown>;
  }
  node[String(path[path.length - 1])] = value;
}

/** Flattens nested values to dotted keys, e.g. {train: {lr: 0.1}} -> {"train.lr": 0.1}. */
export function flattenToDotted(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) flattenToDotted(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}
