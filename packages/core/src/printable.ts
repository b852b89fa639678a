/**
 * Text from users (a spec, the command line, a tracking store other tools also write) printed to a
 * terminal or stored where a strict reader parses it. Control characters are the danger in both: a
 * terminal acts on ESC sequences (clear the screen, rewrite the title), and MLflow's YAML reader
 * refuses a meta.yaml holding C1 controls, U+2028 or U+FFFE, which then hides every experiment of
 * the store.
 */

/**
 * Characters no name may hold: C0 controls (tab and newline included), DEL and C1 controls, the
 * line and paragraph separators, the bidirectional overrides and isolates (they reorder what a
 * reader sees), the non-characters U+FFFE/U+FFFF, and lone surrogates. With the `u` flag a
 * surrogate range matches only unpaired surrogates.
 */
export const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]/u;
const UNSAFE_CHARS = new RegExp(UNSAFE_CHAR.source, 'gu');

/** As `\uXXXX`: readable in a terminal, and a valid escape inside a JSON string, so `--json` output stays JSON. */
function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every unsafe character written as `\uXXXX`; with `keepLayout`, newlines, carriage returns and tabs stay. */
export function printable(text: string, { keepLayout = false }: { keepLayout?: boolean } = {}): string {
  return text.replace(UNSAFE_CHARS, (char) => (keepLayout && (char === '\n' || char === '\t' || char === '\r') ? char : escapeChar(char)));
}

/** The first unsafe character of `text` and where it is (0-based, in UTF-16 units), or null. */
export function firstUnsafeChar(text: string): { char: string; index: number; codePoint: string } | null {
  const match = UNSAFE_CHAR.exec(text);
  if (!match) return null;
  return { char: match[0], index: match.index, codePoint: `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` };
}

/**
 * What a terminal may receive from xp: user text escaped as `printable` does, except the two cursor
 * sequences xp's own live views draw with (cursor up N lines, erase below): the only escape
 * sequences xp itself writes through a command's output.
 */
const OWN_SEQUENCE = /\u001b\[\d{1,4}A\u001b\[0J/y;
export function terminalSafe(text: string): string {
  if (!UNSAFE_CHAR.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; ) {
    OWN_SEQUENCE.lastIndex = i;
    const own = OWN_SEQUENCE.exec(text);
    if (own) {
      out += own[0];
      i += own[0].length;
      continue;
    }
    const code = text.codePointAt(i) as number;
    const char = String.fromCodePoint(code);
    out += char === '\n' || char === '\t' || char === '\r' || !UNSAFE_CHAR.test(char) ? char : escapeChar(char);
    i += char.length;
  }
  return out;
}
