/**
 * The metric protocol of the command kind: a line of the program's stdout that starts with `{` is a
 * metric line, `{"step": 3, "metrics": {"test_accuracy": 0.991, "loss": 0.03}}`. `step` (an integer ≥ 0)
 * may be left out: it is then one more than the previous metric line's (the first is 1). Every other
 * line is output. A line that starts with `{` and is not a metric line is malformed: the caller warns
 * once per such line and counts them. NaN and ±Infinity, which Python's json.dumps writes bare, are
 * read as what they say, so a diverged run is reported as such rather than as a malformed line.
 */
export type StdoutLine =
  | { type: 'output'; text: string }
  | { type: 'metrics'; step: number | undefined; metrics: Record<string, number> }
  | { type: 'malformed'; text: string; why: string };

const NON_FINITE = /(?<=[:\[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g;
const NON_FINITE_MARK = '__xp_non_finite__';

function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!NON_FINITE.test(text)) throw error;
    NON_FINITE.lastIndex = 0;
    return JSON.parse(text.replace(NON_FINITE, (token) => `"${NON_FINITE_MARK}${token}"`), (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(NON_FINITE_MARK) ? Number(value.slice(NON_FINITE_MARK.length)) : value,
    );
  }
}

export function readStdoutLine(text: string): StdoutLine {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { type: 'output', text };
  let parsed: unknown;
  try {
    parsed = parseLenient(trimmed);
  } catch (error) {
    return { type: 'malformed', text, why: `not JSON (${(error as Error).message})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { type: 'malformed', text, why: 'not a JSON object' };
  const { step, metrics, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return { type: 'malformed', text, why: `unknown key${Object.keys(rest).length > 1 ? 's' : ''} ${Object.keys(rest).join(', ')} (expected step and metrics)` };
  if (step !== undefined && !(typeof step === 'number' && Number.isInteger(step) && step >= 0)) return { type: 'malformed', text, why: `step ${JSON.stringify(step)} is not an integer ≥ 0` };
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) return { type: 'malformed', text, why: 'no "metrics" object' };
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') return { type: 'malformed', text, why: `metric '${key}' is ${JSON.stringify(value)}, not a number` };
    if (!/^[A-Za-z0-9_\-. /]{1,250}$/.test(key)) return { type: 'malformed', text, why: `metric name '${key}' is not one MLflow takes (letters, digits, _ - . space /)` };
    values[key] = value;
  }
  if (Object.keys(values).length === 0) return { type: 'malformed', text, why: '"metrics" is empty' };
  return { type: 'metrics', step: step as number | undefined, metrics: values };
}
