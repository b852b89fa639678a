/**
 * Parsing a spec file with source positions kept, so every later error can point back at the line
 * and column where the offending value was written.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Parser, type Document, type Node } from 'yaml';
import type { SourceLocation, SpecIssue } from './errors.ts';
import { findTooDeep, MAX_NESTING_DEPTH } from './nesting.ts';

/** Aliases beyond this count are refused: a "billion laughs" file expands exponentially. */
export const MAX_ALIAS_COUNT = 100;

/** A spec larger than this is refused before it is read: real specs are a few KB; parsing 20 MB takes seconds and hundreds of MB. */
export const MAX_SPEC_BYTES = 1024 * 1024;

function tooLarge(file: string, size: number): SpecIssue {
  return {
    path: '',
    message: `the spec is too large to read (${size.toLocaleString('en-US')} bytes)`,
    expected: `at most ${MAX_SPEC_BYTES.toLocaleString('en-US')} bytes (1 MiB)`,
    found: `${size.toLocaleString('en-US')} bytes`,
    location: { file, line: 1, column: 1 },
  };
}

export interface SpecSource {
  file: string;
  text: string;
  lines: string[];
  document: Document.Parsed;
  lineCounter: LineCounter;
  /** The plain JavaScript value of the document. */
  value: unknown;
}

export type ParseResult = { ok: true; source: SpecSource } | { ok: false; issues: SpecIssue[] };

export function readSpecSource(file: string): ParseResult {
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_SPEC_BYTES) return { ok: false, issues: [tooLarge(file, size)] };
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? `it is a directory, not a spec file${specsIn(file)}` : (error as Error).message;
    return { ok: false, issues: [{ path: '', message: `cannot read the spec file: ${reason}` }] };
  }
  return parseSpecText(file, bytes);
}

/** For a directory given as the spec: the specs in it, as a hint. */
function specsIn(dir: string): string {
  try {
    const specs = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
    if (specs.length === 0) return ' (it holds no .yaml file)';
    return `; give one of the specs in it: ${specs.slice(0, 6).map((name) => join(dir, name)).join(', ')}${specs.length > 6 ? `, … (${specs.length} in all)` : ''}`;
  } catch {
    return '';
  }
}

export function parseSpecText(file: string, bytes: Buffer | string): ParseResult {
  const at = (line: number, column: number, lineText?: string): SourceLocation => ({ file, line, column, lineText });
  if (typeof bytes !== 'string' && looksBinary(bytes)) {
    return {
      ok: false,
      issues: [{ path: '', message: 'this is not a text file', expected: 'a YAML experiment spec (UTF-8 text)', found: 'binary data', location: at(1, 1) }],
    };
  }
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_SPEC_BYTES) return { ok: false, issues: [tooLarge(file, size)] };
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const lines = text.split(/\r?\n/);
  if (text.trim() === '' || text.split(/\r?\n/).every((l) => l.trim() === '' || l.trim().startsWith('#'))) {
    return {
      ok: false,
      issues: [{ path: '', message: 'the spec is empty', expected: 'a mapping with at least `name` and `kind`', found: 'no content', location: at(1, 1, lines[0]) }],
    };
  }
  // Before the parser: it recurses once per level, and thousands of levels overflow its stack.
  const deep = findTooDeep(text);
  if (deep) {
    return {
      ok: false,
      issues: [{
        path: '',
        message: `nested deeper than ${MAX_NESTING_DEPTH} levels`,
        expected: `at most ${MAX_NESTING_DEPTH} levels of nested lists and mappings`,
        found: `level ${MAX_NESTING_DEPTH + 1} here`,
        location: at(deep.line, deep.column, lines[deep.line - 1]),
      }],
    };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  // An unclosed `[` or `{` makes the parser report the lines after it, several times over; the bracket
  // is the one mistake, so it is reported alone (with any error before it), where it was opened.
  const unclosed = document.errors.length > 0 ? unclosedFlowCollections(text) : [];
  const errors = unclosed.length > 0 ? document.errors.filter((error) => error.pos[0] < unclosed[0].offset) : document.errors;
  const bracketIssues: SpecIssue[] = unclosed.map(({ offset, bracket }) => {
    const pos = lineCounter.linePos(offset);
    const closing = bracket === '[' ? ']' : '}';
    // Where the parser gave up looking for the closing bracket: the first error after the opening one.
    const after = document.errors.find((error) => error.pos[0] > offset);
    const gaveUp = after ? lineCounter.linePos(after.pos[0]).line : lines.length;
    return {
      path: '',
      message: `YAML syntax error: this '${bracket}' is never closed`,
      expected: `a '${closing}' closing the ${bracket === '[' ? 'list' : 'mapping'} opened at line ${pos.line}, column ${pos.col}`,
      found: gaveUp > pos.line && lines[gaveUp - 1]?.trim() ? `line ${gaveUp} (${JSON.stringify(lines[gaveUp - 1].trim())}) without one` : 'the end of the file without one',
      location: at(pos.line, pos.col, lines[pos.line - 1]),
    };
  });
  const issues: SpecIssue[] = errors.map((error) => {
    const pos = lineCounter.linePos(error.pos[0]);
    const duplicate = error.code === 'DUPLICATE_KEY';
    return {
      path: '',
      message: duplicate ? 'duplicate key: each key may appear once in a mapping' : `YAML syntax error: ${firstLine(error.message)}`,
      location: at(pos.line, pos.col, lines[pos.line - 1]),
    };
  });
  issues.push(...bracketIssues);
  if (issues.length > 0) return { ok: false, issues };
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return {
      ok: false,
      issues: [{
        path: '',
        message: `refused: ${firstLine((error as Error).message)}`,
        expected: `at most ${MAX_ALIAS_COUNT} alias expansions`,
        found: 'an alias chain that expands far beyond that (a "billion laughs" file?)',
        location: at(1, 1, lines[0]),
      }],
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      issues: [{ path: '', message: 'the spec must be a mapping of keys to values', expected: 'a mapping (key: value lines)', found: describeValue(value), location: at(1, 1, lines[0]) }],
    };
  }
  return { ok: true, source: { file, text, lines, document, lineCounter, value } };
}

/** The `[` and `{` of flow collections the parser found no closing bracket for, in the order written. */
function unclosedFlowCollections(text: string): Array<{ offset: number; bracket: '[' | '{' }> {
  const found: Array<{ offset: number; bracket: '[' | '{' }> = [];
  const visit = (token: unknown): void => {
    if (token === null || typeof token !== 'object') return;
    const node = token as { type?: string; start?: { offset: number; source: string }; end?: Array<{ type: string }> };
    if (node.type === 'flow-collection' && node.start && !node.end?.some((end) => end.type === 'flow-seq-end' || end.type === 'flow-map-end')) {
      found.push({ offset: node.start.offset, bracket: node.start.source === '{' ? '{' : '[' });
    }
    for (const child of Object.values(token)) {
      if (Array.isArray(child)) child.forEach(visit);
      else if (child !== null && typeof child === 'object') visit(child);
    }
  };
  for (const token of new Parser().parse(text)) visit(token);
  return found.sort((a, b) => a.offset - b.offset);
}

/**
 * Where `path` was written in the source: the value's node, or for a key that does not exist, the
 * nearest enclosing node that does. `keyOf` points at the key itself rather than its value (for
 * "unknown key" errors).
 */
export function locateInSource(source: SpecSource, path: readonly (string | number)[], keyOf = false): SourceLocation {
  let node: unknown = source.document.contents;
  let keyNode: unknown;
  for (const segment of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair) {
        keyNode = pair.key;
        next = pair.value ?? pair.key;
      }
    } else if (isSeq(node) && typeof segment === 'number' || (isSeq(node) && /^\d+$/.test(String(segment)))) {
      next = (node as { items: unknown[] }).items[Number(segment)];
      keyNode = undefined;
    }
    if (next === undefined) break;
    node = next;
  }
  const target = (keyOf && keyNode ? keyNode : node) as Node | undefined;
  const offset = target?.range?.[0] ?? 0;
  const pos = source.lineCounter.linePos(offset);
  return { file: source.file, line: pos.line, column: pos.col, lineText: source.lines[pos.line - 1] };
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (not a finite number)`;
  return `${typeof value} ${String(value)}`;
}

function looksBinary(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 8000);
  if (head.includes(0)) return true;
  return !isValidUtf8(head);
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    // A multi-byte character cut at the 8000-byte boundary is not garbage.
    return bytes.length === 8000;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}
