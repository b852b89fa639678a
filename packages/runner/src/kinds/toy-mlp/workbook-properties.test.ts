/** backprop.xlsx names xp, with its version, as author and application: read back from the file's docProps. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { trainToyNetwork } from '@xp/models';
import { XP_VERSION } from '../../version.ts';
import { TABLE_SHEET, writeWorkbook } from './workbook.ts';
import { MemoryRun, seedSpec } from './test-helpers.ts';

describe('backprop.xlsx document properties', () => {
  it('names xp and its version as creator, last modifier and application, and Microsoft Excel nowhere', async () => {
    const rows = trainToyNetwork({ inputs: [0.05, 0.1], targets: [0.01, 0.99], weights: seedSpec().model!.weights!, lr: 0.1, steps: 3 });
    const file = join(new MemoryRun().artifactDir, 'backprop.xlsx');
    await writeWorkbook(file, rows);

    const zip = await JSZip.loadAsync(readFileSync(file));
    const core = await zip.file('docProps/core.xml')!.async('string');
    const app = await zip.file('docProps/app.xml')!.async('string');
    expect(XP_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(core).toContain(`<dc:creator>xp ${XP_VERSION}</dc:creator>`);
    expect(core).toContain(`<cp:lastModifiedBy>xp ${XP_VERSION}</cp:lastModifiedBy>`);
    expect(app).toContain(`<Application>xp ${XP_VERSION}</Application>`);
    expect(app).not.toContain('<AppVersion>');
    for (const part of [core, app]) expect(part).not.toMatch(/Microsoft|Excel|ExcelJS/);

    // Still a workbook exceljs reads whole, with the same properties.
    const back = new ExcelJS.Workbook();
    await back.xlsx.readFile(file);
    expect(back.creator).toBe(`xp ${XP_VERSION}`);
    expect(back.lastModifiedBy).toBe(`xp ${XP_VERSION}`);
    expect(back.getWorksheet(TABLE_SHEET)!.rowCount).toBe(rows.length + 1);
    expect(back.getWorksheet(TABLE_SHEET)!.getCell('A1').value).toBe('step');
  });
});
