/**
 * `xp show`: the composed spec as YAML with each key's origin beside it (Hydra's `--cfg job` and
 * `--info defaults` in one): the file, line and column it was written at, the defaults entry that
 * included that file, or the command-line argument that set it; a key only the schema's defaults
 * fill in says so. The same as data for `--json`.
 */
import { stringify } from 'yaml';
import type { SourceLocation } from '../errors.ts';
import type { PathSegment } from '../paths.ts';
import type { ComposedFile } from './compose.ts';

export type Locate = (path: readonly PathSegment[], keyOf?: boolean) => SourceLocation | undefined;

/** Where a path came from, in one phrase: `model/seed-net.yaml:9:7 (included by cnn-19816.yaml defaults[1])`. */
export function describeOrigin(location: SourceLocation | undefined): string {
  if (!location) return 'schema default';
  if (location.commandLine !== undefined) return location.commandLine;
  const at = `${location.file}:${location.line}:${location.column}`;
  return location.includedBy && location.includedBy.length > 0 ? `${at} (included by ${location.includedBy.join(', by ')})` : at;
}

/**
 * Renders `value` as block YAML, one key a line, each with a comment saying where it came from.
 * `written` says which paths the files and command line wrote: any other path was filled in by the
 * schema's defaults (`--resolved`).
 */
export function annotatedYaml(value: unknown, locate: Locate, written?: unknown): string {
  const lines: string[] = [];
  // A container is located at its key (where `model:` is written), a value where it is written.
  const origin = (path: PathSegment[], container = false) => (written !== undefined && !has(written, path) ? 'schema default' : describeOrigin(locate(path, container)));
  /** `first` starts the first line (`- ` for a list item), `indent` the others. */
  const emit = (node: unknown, path: PathSegment[], first: string, indent: string): void => {
    let lead = first;
    const line = (text: string) => {
      lines.push(`${lead}${text}`);
      lead = indent;
    };
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) {
        const itemPath = [...path, i];
        if (isInline(item)) line(`- ${inline(item)}  # ${origin(itemPath)}`);
        else if (Array.isArray(item)) {
          line(`-  # ${origin(itemPath)}`);
          emit(item, itemPath, `${indent}  `, `${indent}  `);
        } else {
          emit(item, itemPath, `${lead}- `, `${indent}  `);
          lead = indent;
        }
      }
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      const childPath = [...path, key];
      const shownKey = inline(key);
      if (isInline(child)) line(`${shownKey}: ${inline(child)}  # ${origin(childPath)}`);
      else {
        line(`${shownKey}:  # ${origin(childPath, true)}`);
        emit(child, childPath, `${indent}  `, `${indent}  `);
      }
    }
  };
  emit(value, [], '', '');
  return `${lines.join('\n')}\n`;
}

/** The files a spec was composed from, in merge order, with where each landed and who included it. */
export function filesSection(files: readonly ComposedFile[]): string[] {
  return files.map((f) => {
    const where = f.package === '' ? 'at the top' : `at ${f.package}`;
    const choice = f.choice ? `, ${f.choice}` : '';
    const by = f.includedBy.length > 0 ? `, included by ${f.includedBy.join(', by ')}` : '';
    return `${f.file} (${where}${choice}${by}) sha256:${f.sha256.slice(0, 12)}`;
  });
}

/** Every path of `value` (containers and leaves) as dotted keys → where it came from, for `--json`. */
export function provenanceMap(value: unknown, locate: Locate, written?: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (path.length > 0) out[path.join('.')] = written !== undefined && !has(written, path) ? 'schema default' : describeOrigin(locate(path));
    if (node !== null && typeof node === 'object') for (const [key, child] of Object.entries(node)) walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
  };
  walk(value, []);
  return out;
}

function isInline(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.length === 0 || value.every((v) => v === null || typeof v !== 'object');
  return Object.keys(value).length === 0;
}

function inline(value: unknown): string {
  return stringify(value, { flow: true, lineWidth: 0 }).trim();
}

function has(root: unknown, path: readonly PathSegment[]): boolean {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object' || !(String(segment) in (node as object))) return false;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return true;
}
