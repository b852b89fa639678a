import { TOY_COLUMNS, type ToyRow } from '@xp/models/toy/network';

/** The table as CSV. String(x) is the shortest text that reads back as the same float64. */
export function tableToCsv(rows: readonly ToyRow[]): string {
  const lines = [TOY_COLUMNS.join(',')];
  for (const row of rows) lines.push(TOY_COLUMNS.map((c) => String(row[c])).join(','));
  return lines.join('\n') + '\n';
}

/** Reads a CSV written by tableToCsv (or by a spreadsheet exporting the table sheet) back into rows. */
export function parseTableCsv(text: string): Record<string, number>[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header.split(',').map((h) => h.replace(/^"|"$/g, ''));
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((n, j) => [n, Number(cells[j])]));
  });
}
