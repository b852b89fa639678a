/**
 * How deeply a YAML text nests, found by a single pass over the characters before the YAML parser
 * sees it: the parser and every walk after it recurse once per level, and a few thousand levels
 * (`[[[[…` on one line, or `- - - -…`) overflow the stack or exhaust memory. A real spec nests
 * about ten levels; anything past the limit is refused at the place it crosses it.
 *
 * The count is the flow depth (brackets and braces outside quotes and comments) plus the block
 * depth (the indentation levels open at the start of the line, and each compact `- ` on it). It
 * may overcount text inside a block scalar that is itself indented in steps, never undercount a
 * structure the parser would build.
 */

export const MAX_NESTING_DEPTH = 64;

export interface TooDeep {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export function findTooDeep(text: string, limit = MAX_NESTING_DEPTH): TooDeep | null {
  let flow = 0;
  let quote: '"' | "'" | null = null;
  const indents: number[] = [];
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      atLineStart = true;
      continue;
    }
    if (atLineStart && quote === null && flow === 0) {
      // Block structure: indentation opens a level, a dedent closes those deeper than it.
      let j = i;
      while (j < text.length && text[j] === ' ') j++;
      const first = text[j];
      if (first === undefined || first === '\n' || first === '\r' || first === '#') {
        i = j - 1;
        atLineStart = false;
        continue;
      }
      const indent = j - lineStart;
      while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
      // Compact nested sequence items on one line: `- - - x` or `- ? - x`.
      while ((text[j] === '-' || text[j] === '?') && (text[j + 1] === ' ' || text[j + 1] === '\t')) {
        j += 2;
        while (text[j] === ' ' || text[j] === '\t') j++;
        indents.push(j - lineStart);
        if (indents.length > limit) return { line, column: j - lineStart + 1 };
      }
      if (indents.length > limit) return { line, column: indent + 1 };
      atLineStart = false;
      i = j - 1;
      continue;
    }
    atLineStart = false;
    if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = null;
      continue;
    }
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    const before = i === lineStart ? ' ' : text[i - 1];
    const tokenStart = before === ' ' || before === '\t' || before === '[' || before === '{' || before === ',';
    if ((c === '"' || c === "'") && tokenStart) {
      quote = c;
    } else if (c === '#' && (before === ' ' || before === '\t' || i === lineStart)) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      flow++;
      if (flow + indents.length > limit) return { line, column: i - lineStart + 1 };
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
    }
  }
  return null;
}
