/**
 * The backpropagation table as CSV, written with csv-stringify and read with csv-parse (quoting, CRLF and
 * a byte-order mark from a spreadsheet's export are theirs to handle). Numbers are written as String(x),
 * the shortest text that reads back as the same float64, so a round trip is exact.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { TOY_COLUMNS, type ToyRow } from '@xp/models/toy/network';

/** The table as CSV: a header of column names, one line per step, '\n' line ends (after the last too). */
export function tableToCsv(rows: readonly ToyRow[]): string {
  return stringify(rows as ToyRow[], {
    header: true,
    columns: [...TOY_COLUMNS],
    record_delimiter: 'unix',
    cast: { number: (value) => String(value) },
  });
}

/** Reads a CSV written by tableToCsv (or by a spreadsheet exporting the table sheet) back into rows. */
export function parseTableCsv(text: string): Record<string, number>[] {
  return parse(text, {
    bom: true,
    columns: true,
    skip_empty_lines: true,
    // Cells that are not numbers come back as NaN (and empty ones as 0), as Number() reads them.
    cast: (value, context) => (context.header ? value : Number(value)),
  }) as Record<string, number>[];
}
