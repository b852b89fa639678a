/**
 * Which of the wheel's C headers the binding needs: the binding's sources name a few
 * (tensorflow/c/c_api.h, tensorflow/c/eager/c_api.h, …), those name others, and so on. Following the
 * #include lines picks exactly that set (14 headers for TensorFlow 2.21) out of the wheel's thousands,
 * without extracting the whole include tree, and keeps working when a release moves a header.
 */

const INCLUDE = /^\s*#\s*include\s*["<]([^">]+)[">]/gm;

export function includesOf(source: string): string[] {
  return [...source.matchAll(INCLUDE)].map((m) => m[1]);
}

/**
 * The headers reachable from `sources` that exist in `available` (paths relative to the include
 * root). `read` returns the text of a batch of headers; it is called once per level of includes.
 */
export async function headerClosure(
  sources: readonly string[],
  available: ReadonlySet<string>,
  read: (paths: readonly string[]) => Promise<ReadonlyMap<string, string>>,
): Promise<string[]> {
  const found = new Set<string>();
  let frontier = sources.flatMap(includesOf).filter((p) => available.has(p));
  while (frontier.length > 0) {
    const fresh = [...new Set(frontier)].filter((p) => !found.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) found.add(p);
    const texts = await read(fresh);
    frontier = [...texts.values()].flatMap(includesOf).filter((p) => available.has(p));
  }
  return [...found].sort();
}
