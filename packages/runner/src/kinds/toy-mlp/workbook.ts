/**
 * backprop.xlsx: the seed's three-sheet workbook, rebuilt from the computed table. The table sheet is live:
 * η, the targets, the inputs and the starting weights are plain input cells in the first row, and every
 * other cell is a formula over cells, so editing η (or a weight) in Excel or LibreOffice retrains the
 * network in the sheet. Computed values are cached in the formula cells so viewers that do not
 * recalculate still show numbers.
 *
 * The file names xp as its author and application. exceljs writes the author (docProps/core.xml) from
 * the workbook's properties, but hard-codes docProps/app.xml as "Microsoft Excel" version 16.0300; that
 * part is rewritten after exceljs has zipped the workbook (with jszip, which exceljs itself depends on).
 */
import { writeFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { TOY_COLUMNS, type ToyColumn, type ToyRow } from '@xp/models/toy/network';
import { XP_VERSION } from '../../version.ts';

export const TABLE_SHEET = 'Backpropagation Table';
export const EQUATIONS_SHEET = 'Equations';
export const LOSS_SHEET = 'Loss curves';

/** Column letter of a table column (A = step ... AG = dE_dw8). */
export function columnLetter(name: ToyColumn): string {
  let n = TOY_COLUMNS.indexOf(name) + 1;
  let letters = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    letters = String.fromCharCode(65 + r) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}

const INPUT_COLUMNS: readonly ToyColumn[] = ['eta', 't1', 't2', 'i1', 'i2', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'];

/** Excel formulas of one table row (sheet row `r`, 1-based; the first data row is 2), column by column. */
export function rowFormulas(r: number): Partial<Record<ToyColumn, string>> {
  const c = (name: ToyColumn) => `${columnLetter(name)}${r}`;
  const above = (name: ToyColumn) => `${columnLetter(name)}${r - 1}`;
  const sigma = (x: string) => `1/(1+EXP(-${x}))`;
  const f: Partial<Record<ToyColumn, string>> = {
    h1: `${c('w1')}*${c('i1')}+${c('w2')}*${c('i2')}`,
    out_h1: sigma(c('h1')),
    h2: `${c('w3')}*${c('i1')}+${c('w4')}*${c('i2')}`,
    out_h2: sigma(c('h2')),
    o1: `${c('w5')}*${c('out_h1')}+${c('w6')}*${c('out_h2')}`,
    out_o1: sigma(c('o1')),
    o2: `${c('w7')}*${c('out_h1')}+${c('w8')}*${c('out_h2')}`,
    out_o2: sigma(c('o2')),
    E1: `0.5*(${c('t1')}-${c('out_o1')})^2`,
    E2: `0.5*(${c('t2')}-${c('out_o2')})^2`,
    E: `${c('E1')}+${c('E2')}`,
  };
  // ∂E/∂o = (out_o − t)·out_o(1 − out_o); written in the same order as the float64 code, so both round alike.
  const dE_do1 = `((${c('out_o1')}-${c('t1')})*(${c('out_o1')}*(1-${c('out_o1')})))`;
  const dE_do2 = `((${c('out_o2')}-${c('t2')})*(${c('out_o2')}*(1-${c('out_o2')})))`;
  const dh1 = `(${c('out_h1')}*(1-${c('out_h1')}))`;
  const dh2 = `(${c('out_h2')}*(1-${c('out_h2')}))`;
  const dE_dh1 = `(${dE_do1}*${c('w5')}+${dE_do2}*${c('w7')})*${dh1}`;
  const dE_dh2 = `(${dE_do1}*${c('w6')}+${dE_do2}*${c('w8')})*${dh2}`;
  Object.assign(f, {
    dE_dw1: `${dE_dh1}*${c('i1')}`,
    dE_dw2: `${dE_dh1}*${c('i2')}`,
    dE_dw3: `${dE_dh2}*${c('i1')}`,
    dE_dw4: `${dE_dh2}*${c('i2')}`,
    dE_dw5: `${dE_do1}*${c('out_h1')}`,
    dE_dw6: `${dE_do1}*${c('out_h2')}`,
    dE_dw7: `${dE_do2}*${c('out_h1')}`,
    dE_dw8: `${dE_do2}*${c('out_h2')}`,
  } satisfies Partial<Record<ToyColumn, string>>);
  if (r > 2) {
    f.step = `${above('step')}+1`;
    for (const name of ['eta', 't1', 't2', 'i1', 'i2'] as const) f[name] = above(name);
    for (let k = 1; k <= 8; k++) {
      const w = `w${k}` as ToyColumn;
      f[w] = `${above(w)}-${above('eta')}*${above(`dE_dw${k}` as ToyColumn)}`;
    }
  }
  return f;
}

export const EQUATIONS: readonly (readonly [string, string])[] = [
  ['Network', '2 inputs, 2 sigmoid hidden units, 2 sigmoid outputs, no biases; σ(x) = 1/(1+e^(−x)); L2 loss'],
  ['Forward pass', ''],
  ['h1', 'w1·i1 + w2·i2'],
  ['h2', 'w3·i1 + w4·i2'],
  ['out_h1', 'σ(h1)'],
  ['out_h2', 'σ(h2)'],
  ['o1', 'w5·out_h1 + w6·out_h2'],
  ['o2', 'w7·out_h1 + w8·out_h2'],
  ['out_o1', 'σ(o1)'],
  ['out_o2', 'σ(o2)'],
  ['E1', '½·(t1 − out_o1)²'],
  ['E2', '½·(t2 − out_o2)²'],
  ['E', 'E1 + E2'],
  ['Partial derivatives (chain rule, σ′(x) = σ(x)·(1 − σ(x)))', ''],
  ['∂E/∂w5', '(out_o1 − t1)·out_o1·(1 − out_o1)·out_h1'],
  ['∂E/∂w6', '(out_o1 − t1)·out_o1·(1 − out_o1)·out_h2'],
  ['∂E/∂w7', '(out_o2 − t2)·out_o2·(1 − out_o2)·out_h1'],
  ['∂E/∂w8', '(out_o2 − t2)·out_o2·(1 − out_o2)·out_h2'],
  ['∂E/∂out_h1', '(out_o1 − t1)·out_o1·(1 − out_o1)·w5 + (out_o2 − t2)·out_o2·(1 − out_o2)·w7'],
  ['∂E/∂out_h2', '(out_o1 − t1)·out_o1·(1 − out_o1)·w6 + (out_o2 − t2)·out_o2·(1 − out_o2)·w8'],
  ['∂E/∂w1', '[(out_o1 − t1)·out_o1·(1 − out_o1)·w5 + (out_o2 − t2)·out_o2·(1 − out_o2)·w7]·out_h1·(1 − out_h1)·i1'],
  ['∂E/∂w2', '[(out_o1 − t1)·out_o1·(1 − out_o1)·w5 + (out_o2 − t2)·out_o2·(1 − out_o2)·w7]·out_h1·(1 − out_h1)·i2'],
  ['∂E/∂w3', '[(out_o1 − t1)·out_o1·(1 − out_o1)·w6 + (out_o2 − t2)·out_o2·(1 − out_o2)·w8]·out_h2·(1 − out_h2)·i1'],
  ['∂E/∂w4', '[(out_o1 − t1)·out_o1·(1 − out_o1)·w6 + (out_o2 − t2)·out_o2·(1 − out_o2)·w8]·out_h2·(1 − out_h2)·i2'],
  ['Update', ''],
  ['w', 'w − η·∂E/∂w (row k+1 from row k)'],
  ['Note', 'σ′ at a hidden unit is out_h·(1 − out_h), not h·(1 − h) as in the seed spreadsheet.'],
];

export interface WorkbookOptions {
  /** The loss-curve picture to embed on the Loss curves sheet. */
  lossCurvePng?: Buffer;
  /** Leave formula cells without cached results (forces any reader to compute them). */
  cacheResults?: boolean;
}

export function buildWorkbook(rows: readonly ToyRow[], options: WorkbookOptions = {}): ExcelJS.Workbook {
  const cache = options.cacheResults ?? true;
  const wb = new ExcelJS.Workbook();
  wb.creator = XP_AUTHOR;
  wb.lastModifiedBy = XP_AUTHOR;
  // Ask spreadsheet applications to recompute everything on open rather than trust the cache.
  wb.calcProperties = { fullCalcOnLoad: true };

  const eq = wb.addWorksheet(EQUATIONS_SHEET);
  eq.columns = [{ width: 52 }, { width: 110 }];
  for (const [name, text] of EQUATIONS) {
    const row = eq.addRow([name, text]);
    if (text === '') row.font = { bold: true };
  }

  const table = wb.addWorksheet(TABLE_SHEET, { views: [{ state: 'frozen', xSplit: 1, ySplit: 1 }] });
  table.addRow([...TOY_COLUMNS]).font = { bold: true };
  rows.forEach((data, k) => {
    const r = k + 2;
    const formulas = rowFormulas(r);
    const row = table.getRow(r);
    TOY_COLUMNS.forEach((name, j) => {
      const cell = row.getCell(j + 1);
      const formula = formulas[name];
      if (formula === undefined) {
        cell.value = data[name];
        if (INPUT_COLUMNS.includes(name)) cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF2CC' } };
      } else {
        cell.value = cache ? { formula, result: data[name] } : { formula };
      }
    });
  });
  table.getColumn(1).width = 6;
  for (let j = 2; j <= TOY_COLUMNS.length; j++) table.getColumn(j).width = 13;

  const loss = wb.addWorksheet(LOSS_SHEET);
  const eta = rows[0]?.eta;
  loss.addRow(['step', `E (η = ${eta})`]).font = { bold: true };
  const eCol = columnLetter('E');
  rows.forEach((data, k) => {
    const ref = `'${TABLE_SHEET}'!${eCol}${k + 2}`;
    loss.addRow([data.step, cache ? { formula: ref, result: data.E } : { formula: ref }]);
  });
  loss.getColumn(2).width = 22;
  if (options.lossCurvePng) {
    const id = wb.addImage({ buffer: options.lossCurvePng as unknown as ExcelJS.Buffer, extension: 'png' });
    loss.addImage(id, { tl: { col: 3, row: 1 }, ext: { width: 869, height: 450 } });
  }
  return wb;
}

/** Who wrote the workbook, in docProps/core.xml (creator, last modified by) and docProps/app.xml (application). */
export const XP_AUTHOR = `xp ${XP_VERSION}`;

const APP_PART = 'docProps/app.xml';

/**
 * The extended-properties part with xp as the application. AppVersion is left out (it is optional): its
 * XX.YYYY form is Office's build numbering, which neither holds xp's version nor should claim Office's.
 */
export function appPropertiesXml(xml: string): string {
  const named = xml.replace(/<Application>[^<]*<\/Application>/, `<Application>${XP_AUTHOR}</Application>`).replace(/<AppVersion>[^<]*<\/AppVersion>/, '');
  if (!named.includes(`<Application>${XP_AUTHOR}</Application>`)) throw new Error(`${APP_PART} written by exceljs has no <Application> element to replace`);
  return named;
}

/** The workbook as .xlsx bytes, naming xp as author and application. */
export async function workbookBytes(wb: ExcelJS.Workbook): Promise<Buffer> {
  const zip = await JSZip.loadAsync(await wb.xlsx.writeBuffer());
  const app = zip.file(APP_PART);
  if (!app) throw new Error(`exceljs wrote no ${APP_PART}`);
  zip.file(APP_PART, appPropertiesXml(await app.async('string')));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

export async function writeWorkbook(path: string, rows: readonly ToyRow[], options: WorkbookOptions = {}): Promise<void> {
  await writeFile(path, await workbookBytes(buildWorkbook(rows, options)));
}
