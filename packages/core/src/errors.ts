/**
 * Errors about a spec carry where the problem was written, so every message can point at
 * `file:line:column` with the offending line quoted under it.
 */
import { printable } from './printable.ts';

/** A quoted line longer than this is cut to a window around the column (a minified or hostile spec has 50 KB lines). */
export const MAX_QUOTE_WIDTH = 120;

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The text of that line, for quoting under the message. */
  lineText?: string;
  /**
   * Set when the problem was typed on the command line (an override), not written in a file: the
   * argument as shown, e.g. "--set train.lr=0.1,0.3", which ends with `lineText`. Messages then name
   * the argument instead of `file:line:column`.
   */
  commandLine?: string;
  /** For a value composed in from another file: the defaults entries that included it, nearest first. */
  includedBy?: string[];
}

export interface SpecIssue {
  /** Dotted key path, e.g. "train.lr" or "model.blocks.conv1.2.conv2d.kernel"; "" for the whole file. */
  path: string;
  /** What is wrong, in one sentence. */
  message: string;
  expected?: string;
  found?: string;
  /** Extra advice, e.g. "did you mean 'epochs'?". */
  hint?: string;
  location?: SourceLocation;
}

/** One or more problems in a spec, found before anything ran. The CLI maps it to exit code 2. */
export class SpecError extends Error {
  readonly issues: SpecIssue[];
  readonly file: string;

  constructor(file: string, issues: SpecIssue[]) {
    super(formatIssues(issues, file));
    this.name = 'SpecError';
    this.file = file;
    this.issues = issues;
  }
}

/** Renders issues as compiler-style diagnostics: location, path, message, expected/found, quoted line with a caret. */
export function formatIssues(issues: readonly SpecIssue[], file: string): string {
  const blocks = issues.map((issue) => formatIssue(issue, file));
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return `${file}: ${count}\n\n${blocks.join('\n\n')}`;
}

export function formatIssue(issue: SpecIssue, file: string): string {
  const location = issue.location;
  const where = location
    ? location.commandLine ?? `${location.file}:${location.line}:${location.column}`
    : file;
  // Everything here may come from the user (a key, a value, the line itself): control characters are
  // escaped, so a spec cannot clear the terminal through its own error message.
  const lines = [printable(`${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`)];
  if (issue.expected !== undefined) lines.push(printable(`  expected: ${issue.expected}`));
  if (issue.found !== undefined) lines.push(printable(`  found:    ${issue.found}`));
  if (issue.hint !== undefined) lines.push(printable(`  hint:     ${issue.hint}`));
  if (location?.commandLine !== undefined && location.lineText !== undefined && location.commandLine.endsWith(location.lineText)) {
    const before = location.commandLine.length - location.lineText.length;
    const quote = quoteWithCaret(location.commandLine, before + location.column - 1);
    lines.push(`  ${quote.text}`, `  ${' '.repeat(quote.caret)}^`);
  } else if (location?.lineText !== undefined) {
    const gutter = `${location.line} | `;
    const quote = quoteWithCaret(location.lineText, location.column - 1);
    lines.push(`  ${gutter}${quote.text}`, `  ${' '.repeat(gutter.length + quote.caret)}^`);
  }
  for (const entry of location?.includedBy ?? []) lines.push(`  included by ${entry}`);
  return lines.join('\n');
}

/** The line as printed (escaped, cut to a window around `column` when long) and where the caret goes under it. */
function quoteWithCaret(line: string, column: number): { text: string; caret: number } {
  let start = 0;
  let end = line.length;
  if (line.length > MAX_QUOTE_WIDTH) {
    start = Math.max(0, Math.min(column - Math.floor(MAX_QUOTE_WIDTH / 2), line.length - MAX_QUOTE_WIDTH));
    end = start + MAX_QUOTE_WIDTH;
  }
  const head = start > 0 ? '…' : '';
  const tail = end < line.length ? `… (${line.length.toLocaleString('en-US')} characters)` : '';
  const before = printable(line.slice(start, Math.max(start, column)));
  return { text: `${head}${printable(line.slice(start, end))}${tail}`, caret: head.length + before.length };
}
