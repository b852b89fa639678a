/**
 * Secrets out of everything xp prints, logs or records (#26.4): a Redis URL's password
 * (`redis://:s3cret@host`), an MLflow URI's user:password, and the tokens and passwords xp reads from
 * the environment. Every URL's userinfo becomes `***` wherever it appears in a text (a message, a
 * param, a stack); the environment's secrets are replaced wherever their literal value appears.
 */

/** What a secret is replaced with. */
export const REDACTED = '***';

/**
 * The environment variables xp reads that hold secrets: MLflow's credentials (mlflow-env.ts in
 * @xp/tracking sends them). MLFLOW_TRACKING_USERNAME is not one: it names the user, as a URL's does.
 */
export const SECRET_ENV_VARS = ['MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN'] as const;

/**
 * Shorter values are not searched for in text: a 3-letter password replaced wherever those letters
 * appear would garble every line and tell a reader the password. Inside a URL (the common place) a
 * secret of any length is redacted.
 */
export const MIN_LITERAL_SECRET_LENGTH = 6;

/**
 * `scheme://userinfo@`: the userinfo runs to the last `@` before the authority ends (a `/`, `?`, `#`,
 * white space or a quote), as WHATWG's URL parser reads an unescaped `@` in a password.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>`]*@/gi;

/** `url` with its userinfo (user and password) as `***`: `redis://***@host:6379`; a URL without one unchanged. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, `$1${REDACTED}@`);
}

/** `url` without its userinfo: the address alone, for where credentials travel apart from it. */
export function urlWithoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    // URL adds a '/' to an authority-only http URL; keep what the user wrote otherwise.
    const out = parsed.toString();
    return /^[a-z][a-z0-9+.-]*:\/\/[^/]*$/i.test(url) ? out.replace(/\/$/, '') : out;
  } catch {
    return redactUrl(url);
  }
}

/** The user and password a URL carries (decoded), or null when it has neither. */
export function urlCredentials(url: string): { username: string; password: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!parsed.username && !parsed.password) return null;
  return { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
}

/** The secret values set in `env` (SECRET_ENV_VARS), for redactSecrets. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return SECRET_ENV_VARS.map((name) => env[name]).filter((value): value is string => typeof value === 'string' && value.length > 0);
}

/**
 * `text` with every URL's userinfo redacted and every one of `secrets` (and its percent-encoded form,
 * as a URL carries it) replaced by `***`; secrets shorter than MIN_LITERAL_SECRET_LENGTH are left to
 * the URL rule.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.includes('://') ? redactUrl(text) : text;
  for (const secret of secrets) {
    if (secret.length < MIN_LITERAL_SECRET_LENGTH) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/** Every string inside `value` (a param record, a parsed JSON document) redacted as redactSecrets does. */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  if (typeof value === 'string') return redactSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, secrets)])) as T;
  }
  return value;
}
