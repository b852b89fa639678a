/**
 * The meta.yaml files of an MLflow file store are flat maps of scalars. Python writes them with
 * PyYAML; reading them only needs this small subset, so no YAML dependency.
 */

export type MetaValue = string | number | null | never[];
export type Meta = Record<string, MetaValue>;

/** Keys sorted, like PyYAML's sort_keys=True. Strings are double-quoted: JSON strings are valid YAML. */
export function formatMeta(meta: Meta): string {
  return Object.keys(meta)
    .sort()
    .map((key) => `${key}: ${formatScalar(meta[key])}\n`)
    .join('');
}

function formatScalar(value: MetaValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  return JSON.stringify(value);
}

export function parseMeta(text: string): Meta {
  const entries: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    // PyYAML folds long scalars onto indented continuation lines.
    if (/^\s/.test(line) && entries.length) {
      entries[entries.length - 1][1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    entries.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const meta: Meta = {};
  for (const [key, raw] of entries) meta[key] = parseScalar(raw);
  return meta;
}

function parseScalar(raw: string): MetaValue {
  if (raw === '' || raw === 'null' || raw === '~') return null;
  if (raw === '[]') return [];
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw.slice(1, -1);
    }
  }
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (/^-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}
