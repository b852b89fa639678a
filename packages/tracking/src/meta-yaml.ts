/**
 * The meta.yaml files of an MLflow file store: flat maps of scalars that Python writes and reads with
 * PyYAML, i.e. YAML 1.1. Written and read here with the `yaml` package under its YAML 1.1 schema, so
 * a string PyYAML would take for something else (`yes`, `0123`, `1e5`, `2024-01-01`) is quoted on the
 * way out and a PyYAML-written file means the same on the way in.
 */
import { Scalar, isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';

export type MetaValue = string | number | null | never[];
export type Meta = Record<string, MetaValue>;

/** Keys sorted, like PyYAML's sort_keys=True; no line folding, so a long name stays on one line. */
export function formatMeta(meta: Meta): string {
  const sorted = Object.fromEntries(Object.keys(meta).sort().map((key) => [key, meta[key]]));
  return stringify(sorted, { schema: 'yaml-1.1', lineWidth: 0, minContentWidth: 0 });
}

export function parseMeta(text: string): Meta {
  const document = parseDocument(text, { schema: 'yaml-1.1' });
  const meta: Meta = {};
  if (!isMap(document.contents)) return meta;
  for (const pair of document.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    meta[key] = toMetaValue(pair.value);
  }
  return meta;
}

/**
 * PyYAML's YAML 1.1 numbers are narrower than the `yaml` package's: a plain `1e5` (no dot) is a
 * string to PyYAML, so PyYAML writes it unquoted, and so it must stay a string here.
 */
const PYYAML_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PYYAML_FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function toMetaValue(node: unknown): MetaValue {
  if (isScalar(node) && typeof node.value === 'number' && node.type === Scalar.PLAIN && node.source !== undefined) {
    const source = node.source;
    if (!PYYAML_INT.test(source) && !PYYAML_FLOAT.test(source)) return source;
  }
  const value: unknown = isScalar(node) ? node.value : isSeq(node) ? node.toJSON() : node;
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 0) return [];
  if (value instanceof Date) return isScalar(node) && node.source !== undefined ? node.source : value.toISOString();
  return String(value);
}
