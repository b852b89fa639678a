/**
 * Opens backprop.xlsx in LibreOffice, which recalculates every formula, and compares the sheet it computes
 * with the float64 table. A fresh LibreOffice profile sets "recalculate on load: always" for OOXML files:
 * by default LibreOffice shows the cached results exceljs wrote and ignores fullCalcOnLoad, which would
 * make this test compare the table with itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { trainToyNetwork, TOY_COLUMNS, type ToyRow } from '@xp/models';
import { parseTableCsv, tableToCsv } from './csv.ts';
import { columnLetter, TABLE_SHEET, writeWorkbook } from './workbook.ts';
import { MemoryRun, seedSpec } from './test-helpers.ts';

function findSoffice(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    for (const name of ['soffice', 'libreoffice']) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

const soffice = findSoffice();
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (!soffice && !ci) console.warn('workbook.test.ts: skipped, LibreOffice (soffice) is not installed; apt-get install libreoffice-calc');

const RECALC_ALWAYS = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
`;

/** Converts every file to CSV of the table sheet (the second), recalculated; returns name → CSV text. */
function recalculate(dir: string, files: string[]): Map<string, string> {
  const profile = join(dir, 'lo-profile');
  mkdirSync(join(profile, 'user'), { recursive: true });
  writeFileSync(join(profile, 'user', 'registrymodifications.xcu'), RECALC_ALWAYS);
  const out = join(dir, 'csv');
  // Tokens: ',' separator, '"' quote, UTF-8, from line 1, ..., values not as shown (full precision), sheet 2.
  const filter = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2';
  execFileSync(soffice!, [`-env:UserInstallation=${pathToFileURL(profile).href}`, '--headless', '--convert-to', filter, '--outdir', out, ...files], {
    stdio: 'pipe', timeout: 120_000,
  });
  const result = new Map<string, string>();
  for (const name of readdirSync(out)) result.set(name.replace(/-Backpropagation Table\.csv$|\.csv$/, ''), readFileSync(join(out, name), 'utf8'));
  return result;
}

function expectSameTable(sheet: Record<string, number>[], rows: readonly ToyRow[]): void {
  expect(sheet).toHaveLength(rows.length);
  let worst = 0;
  sheet.forEach((row, k) => {
    for (const c of TOY_COLUMNS) {
      const a = row[c], b = rows[k][c];
      const err = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
      if (!(err <= worst)) worst = err;
    }
  });
  expect(worst).toBeLessThanOrEqual(1e-12);
}

describe.skipIf(!soffice && !ci)('backprop.xlsx in LibreOffice', () => {
  it('recomputes the CSV table, and retrains when η is edited', async () => {
    expect(soffice, 'soffice not found on PATH, and CI requires this test').not.toBeNull();
    const dir = new MemoryRun().artifactDir;
    const spec = seedSpec({}, 0.1);
    const rows = trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: spec.model!.weights!, lr: 0.1, steps: 157 });
    const file = join(dir, 'backprop.xlsx');
    await writeWorkbook(file, rows);

    // The same workbook with η = 0.8 typed into its single η cell, as a user would.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    wb.getWorksheet(TABLE_SHEET)!.getCell(`${columnLetter('eta')}2`).value = 0.8;
    const edited = join(dir, 'edited.xlsx');
    await wb.xlsx.writeFile(edited);

    const sheets = recalculate(dir, [file, edited]);
    expectSameTable(parseTableCsv(sheets.get('backprop')!), parseTableCsv(tableToCsv(rows)) as unknown as ToyRow[]);
    const at08 = trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: spec.model!.weights!, lr: 0.8, steps: 157 });
    expectSameTable(parseTableCsv(sheets.get('edited')!), at08);
  });
});
