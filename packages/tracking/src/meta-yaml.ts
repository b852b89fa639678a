/**
 * The meta.yaml files of an MLflow file store: flat maps of scalars that Python writes and reads with
 * PyYAML, i.e. YAML 1.1. Written and read here with the `yaml` package under its YAML 1.1 schema, so
 * a string PyYAML would take for something else (`yes`, `0123`, `1e5`, `2024-01-01`) is quoted on the
 * way out and a PyYAML-written file means the same on the way in.
 */
import { Scalar, isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';

export type MetaValue = string | number | null | never[];
export type Meta = Record<string, MetaValue>;

/**
 * What PyYAML's reader refuses to see in a stream (outside its printable set: C0 but tab and line
 * ends, DEL, C1 but NEL, U+FFFE/U+FFFF, surrogates), plus the characters YAML itself takes for line
 * breaks (NEL, U+2028, U+2029). One such character raw in one experiment's meta.yaml makes MLflow
 * unable to list any experiment of the store, so they are written as escapes in a double-quoted
 * scalar, which both readers turn back into the same character.
 */
const NOT_RAW = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff\ud800-\udfff]/u;
const NOT_RAW_ALL = new RegExp(NOT_RAW.source, 'gu');
const NEEDS_QUOTES = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff\ud800-\udfff]/u;

/** Keys sorted, like PyYAML's sort_keys=True; no line folding, so a long name stays on one line. */
export function formatMeta(meta: Meta): string {
  const sorted = Object.fromEntries(
    Object.keys(meta)
      .sort()
      .map((key) => {
        const value = meta[key];
        if (typeof value !== 'string' || !NEEDS_QUOTES.test(value)) return [key, value];
        // libyaml (MLflow's CSafeLoader) refuses even an escaped unpaired surrogate: it becomes U+FFFD.
        const scalar = new Scalar(value.replace(/[\ud800-\udfff]/gu, '\ufffd'));
        scalar.type = Scalar.QUOTE_DOUBLE;
        return [key, scalar];
      }),
  );
  const text = stringify(sorted, { schema: 'yaml-1.1', lineWidth: 0, minContentWidth: 0 });
  // Only a double-quoted scalar can hold such a character here (forced above), and there an escape means it.
  return text.replace(NOT_RAW_ALL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
