/**
 * Where each value of a composed spec was written: for every path a file's content set, that file
 * (its parsed source, so the line and column can be found) and the path inside it, with the chain of
 * defaults entries that included the file. A path nobody set explicitly (inside a value that was set
 * as a whole) is found through its nearest recorded parent.
 */
import type { PathSegment } from '../paths.ts';
import type { SpecSource } from '../source.ts';

export interface Origin {
  source: SpecSource;
  /** The path inside `source` of the value the composed path holds. */
  sourcePath: PathSegment[];
  /** The entries that included the file, nearest first; empty for the spec itself. */
  includedBy: string[];
}

const SEP = '\u0000';
const keyOf = (path: readonly PathSegment[]): string => path.map(String).join(SEP);

export class Provenance {
  private readonly origins = new Map<string, Origin>();

  has(path: readonly PathSegment[]): boolean {
    return this.origins.has(keyOf(path));
  }

  set(path: readonly PathSegment[], origin: Origin): void {
    this.origins.set(keyOf(path), origin);
  }

  /** Records `value` and everything inside it as written at `origin`. */
  setTree(path: readonly PathSegment[], value: unknown, origin: Origin): void {
    this.set(path, origin);
    if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const segment = Array.isArray(value) ? Number(key) : key;
        this.setTree([...path, segment], child, { ...origin, sourcePath: [...origin.sourcePath, segment] });
      }
    }
  }

  /** Forgets `path` and everything under it (it was replaced or deleted). */
  clear(path: readonly PathSegment[]): void {
    const key = keyOf(path);
    const prefix = key + SEP;
    for (const known of this.origins.keys()) if (known === key || known.startsWith(prefix)) this.origins.delete(known);
  }

  /** The origin of `path` or of its nearest recorded parent, and the part of `path` below it. */
  find(path: readonly PathSegment[]): { origin: Origin; rest: PathSegment[] } | undefined {
    for (let n = path.length; n >= 1; n--) {
      const origin = this.origins.get(keyOf(path.slice(0, n)));
      if (origin) return { origin, rest: path.slice(n) };
    }
    return undefined;
  }
}
