/**
 * Images stored one per row of a CSV file, in Kaggle's digit-recognizer layout: a header row
 * (`label,pixel0,pixel1,…`), then a label column (optional: Kaggle's test.csv has none) and one
 * 0–255 column per pixel, row-major, channel last when there are several.
 *
 * The file is streamed through csv-parse (a 100 MB file is never one string): rows are parsed as they
 * arrive and their pixels packed straight into bytes. Every problem names the file and line.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { parse } from 'csv-parse';

/** A CSV file that is not a table of pixels: names the file and the line (1 is the header). */
export class CsvImagesError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${problem}`);
    this.name = 'CsvImagesError';
  }
}

export interface CsvImageOptions {
  /** The label column's name; null: the file has none. Default 'label' when the header has it, else none. */
  labelColumn?: string | null;
  /** Pixels per row are width × height × channels; default: a square grey image (pixel count a square). */
  width?: number;
  height?: number;
  channels?: 1 | 3;
  /** Labels must be below this; rows with another label are refused by line. Default: any 0..255. */
  classes?: number;
  /** Read only the first N rows. */
  limit?: number;
}

export interface CsvImages {
  count: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** count × height × width × channels bytes. */
  pixels: Uint8Array;
  /** One label a row; null when the file has no label column. */
  labels: Uint8Array | null;
}

function shapeOf(file: string, pixelColumns: number, options: CsvImageOptions): { width: number; height: number; channels: 1 | 3 } {
  const channels = options.channels ?? 1;
  if (options.width !== undefined && options.height !== undefined) {
    if (options.width * options.height * channels !== pixelColumns) {
      throw new CsvImagesError(file, 1, `the header has ${pixelColumns} pixel columns, expected ${options.width}×${options.height}×${channels} = ${options.width * options.height * channels}`);
    }
    return { width: options.width, height: options.height, channels };
  }
  const side = Math.round(Math.sqrt(pixelColumns / channels));
  if (side * side * channels !== pixelColumns || side === 0) {
    throw new CsvImagesError(file, 1, `the header has ${pixelColumns} pixel columns, which is not a square image of ${channels} channel(s); state the image's width and height`);
  }
  return { width: side, height: side, channels };
}

/** Reads `file` row by row into packed pixels and labels. */
export async function readCsvImages(file: string, options: CsvImageOptions = {}): Promise<CsvImages> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new CsvImagesError(file, null, 'no such file');
  const parser = createReadStream(file).pipe(parse({ info: true, relax_column_count: true, skip_empty_lines: true, trim: true }));
  let labelAt = -1;
  let columns = 0;
  let shape: { width: number; height: number; channels: 1 | 3 } | null = null;
  let imageBytes = 0;
  let pixels = new Uint8Array(0);
  let labels = new Uint8Array(0);
  let count = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const classes = options.classes ?? 256;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (shape === null) {
        const wanted = options.labelColumn === undefined ? (record.includes('label') ? 'label' : null) : options.labelColumn;
        labelAt = wanted === null ? -1 : record.indexOf(wanted);
        if (wanted !== null && labelAt < 0) throw new CsvImagesError(file, line, `no '${wanted}' column in the header`);
        columns = record.length;
        shape = shapeOf(file, columns - (labelAt < 0 ? 0 : 1), options);
        imageBytes = shape.width * shape.height * shape.channels;
        continue;
      }
      if (count >= limit) break;
      if (record.length !== columns) {
        throw new CsvImagesError(file, line, `row has ${record.length} values, expected ${columns} (${labelAt < 0 ? '' : 'a label and '}${imageBytes} pixels): a pixel is missing or extra`);
      }
      if (count * imageBytes === pixels.length) {
        const grown = new Uint8Array(Math.max(imageBytes * 1024, pixels.length * 2));
        grown.set(pixels);
        pixels = grown;
        const grownLabels = new Uint8Array(grown.length / imageBytes);
        grownLabels.set(labels);
        labels = grownLabels;
      }
      let at = count * imageBytes;
      for (let c = 0; c < columns; c++) {
        const text = record[c];
        const value = Number(text);
        if (c === labelAt) {
          if (text === '' || !Number.isInteger(value) || value < 0 || value >= classes) {
            throw new CsvImagesError(file, line, `label '${text}' is outside the classes 0..${classes - 1}`);
          }
          labels[count] = value;
          continue;
        }
        if (text === '' || !Number.isInteger(value) || value < 0 || value > 255) {
          throw new CsvImagesError(file, line, `pixel column ${c + 1} is '${text}', expected an integer 0..255${text === '' ? ' (a missing pixel)' : ''}`);
        }
        pixels[at++] = value;
      }
      count++;
    }
  } catch (error) {
    if (error instanceof CsvImagesError) throw error;
    const lines = (error as { lines?: number }).lines;
    throw new CsvImagesError(file, lines ?? null, `not readable as CSV (${(error as Error).message})`);
  } finally {
    parser.destroy();
  }
  if (shape === null) throw new CsvImagesError(file, null, 'the file is empty (no header row)');
  return {
    count,
    ...shape,
    pixels: pixels.slice(0, count * imageBytes),
    labels: labelAt < 0 ? null : labels.slice(0, count),
  };
}
