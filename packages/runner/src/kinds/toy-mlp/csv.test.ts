import { describe, expect, it } from 'vitest';
import { trainToyNetwork, TOY_COLUMNS, type ToyRow } from '@xp/models';
import { parseTableCsv, tableToCsv } from './csv.ts';
import { seedSpec } from './test-helpers.ts';

const rowsAt = (lr: number): ToyRow[] =>
  trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: seedSpec().model!.weights!, lr, steps: 157 });

/** What csv.ts wrote before it used csv-stringify: String(x) joined by commas, '\n' after every line. */
function handWritten(rows: readonly ToyRow[]): string {
  return [TOY_COLUMNS.join(','), ...rows.map((row) => TOY_COLUMNS.map((c) => String(row[c])).join(','))].join('\n') + '\n';
}

describe('tableToCsv', () => {
  it('writes the same bytes as the hand-joined table did', () => {
    for (const lr of [0.1, 2]) expect(tableToCsv(rowsAt(lr))).toBe(handWritten(rowsAt(lr)));
  });

  it('writes a header, one line per step, and no quotes', () => {
    const lines = tableToCsv(rowsAt(0.1)).split('\n');
    expect(lines[0]).toBe(TOY_COLUMNS.join(','));
    expect(lines).toHaveLength(158 + 2); // header, 158 rows, and the empty string after the final '\n'
    expect(lines.at(-1)).toBe('');
    expect(lines.join('')).not.toContain('"');
  });
});

describe('parseTableCsv', () => {
  it('round-trips every float64 exactly', () => {
    const rows = rowsAt(2);
    const back = parseTableCsv(tableToCsv(rows));
    expect(back).toHaveLength(rows.length);
    back.forEach((row, k) => TOY_COLUMNS.forEach((c) => expect(Object.is(row[c], rows[k][c])).toBe(true)));
  });

  it("reads a spreadsheet's export: quoted header, CRLF line ends, a byte-order mark, a blank last line", () => {
    const text = '\uFEFF"step","eta","E"\r\n0,0.1,0.2983711087600027\r\n1,0.1,"0.291"\r\n\r\n';
    expect(parseTableCsv(text)).toEqual([
      { step: 0, eta: 0.1, E: 0.2983711087600027 },
      { step: 1, eta: 0.1, E: 0.291 },
    ]);
    expect(parseTableCsv('a,b\n1,2\n\n')).toEqual([{ a: 1, b: 2 }]);
  });
});
