/**
 * One image file (PNG or JPEG, told by its first bytes, not its name) decoded into 8-bit pixels,
 * grey or RGB, height × width × channels.
 *
 * Decoders chosen by measuring (3,000 MNIST digits as 28×28 PNG and JPEG, this machine, loaded:
 * 2 cores shared by six jobs; bench/image-decoders.mjs repeats it):
 *   pngjs 7.0.0        ~47 µs per PNG      (pure JS, synchronous)
 *   fast-png 8.0.0     ~94 µs per PNG
 *   jpeg-js 0.4.4      ~130 µs per JPEG    (pure JS)
 *   sharp 0.35.5 (libvips) ~760 µs per PNG one after another, ~575 µs with all 3,000 in flight;
 *                        ~640 µs per JPEG
 * sharp's prebuilt binaries do install from the npm registry here, but for the small images image
 * classification datasets hold its per-call cost (a libvips pipeline and a trip through the thread
 * pool per image) is ten times the whole decode of pngjs, so 60,000 digits take ~35 s against ~3 s.
 * pngjs + jpeg-js are also pure JS: no native binary to match the platform, nothing for CI to fetch.
 *
 * A PNG's alpha channel is dropped (datasets' transparent images are nearly always drawn on a
 * uniform background; weighting by alpha would need a colour to composite over, which the data
 * does not state). A 16-bit PNG is scaled to 8 bits.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export type ImageChannels = 1 | 3;

/** Pixels of one image: height rows of width pixels of `channels` bytes each (HWC, row-major). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: ImageChannels;
  data: Uint8Array;
}

/** A file that should be an image and is not one xp can read: names the file and what was wrong. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ImageDecodeError';
  }
}

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);
}

/** The format a file's first bytes announce, or null when they are neither PNG's nor JPEG's. */
export function imageFormatOf(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg';
  return null;
}

/** The file names a folder dataset treats as images (any case); other files are not images. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export function hasImageExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** RGBA (4 bytes a pixel) to grey when R = G = B everywhere, else RGB; alpha dropped. */
function fromRgba(rgba: Uint8Array, width: number, height: number, stride: 3 | 4, greyKnown: boolean | null): DecodedImage {
  const pixels = width * height;
  let grey = greyKnown;
  if (grey === null) {
    grey = true;
    for (let p = 0; p < pixels && grey; p++) {
      const at = p * stride;
      grey = rgba[at] === rgba[at + 1] && rgba[at] === rgba[at + 2];
    }
  }
  if (grey) {
    const data = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) data[p] = rgba[p * stride];
    return { width, height, channels: 1, data };
  }
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const from = p * stride;
    const to = p * 3;
    data[to] = rgba[from];
    data[to + 1] = rgba[from + 1];
    data[to + 2] = rgba[from + 2];
  }
  return { width, height, channels: 3, data };
}

function decodePng(bytes: Buffer, file: string): DecodedImage {
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(bytes);
  } catch (error) {
    throw new ImageDecodeError(file, `not a readable PNG (${(error as Error).message}); the file may be truncated or corrupt`);
  }
  // Colour types 0 and 4 are grey (with or without alpha); a palette may be grey or not, so look.
  const colorType = (png as unknown as { colorType?: number }).colorType;
  const greyKnown = colorType === 0 || colorType === 4 ? true : colorType === 2 || colorType === 6 ? false : null;
  return fromRgba(png.data, png.width, png.height, 4, greyKnown);
}

function decodeJpeg(bytes: Buffer, file: string): DecodedImage {
  let image: { width: number; height: number; data: Uint8Array };
  try {
    // jpeg-js expands a one-component (grey) JPEG to RGB, so grey is seen as R = G = B.
    image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  } catch (error) {
    throw new ImageDecodeError(file, `not a readable JPEG (${(error as Error).message}); the file may be truncated or corrupt`);
  }
  return fromRgba(image.data, image.width, image.height, 3, null);
}

/** Decodes PNG or JPEG bytes; `file` names them in errors. */
export function decodeImageBytes(bytes: Uint8Array, file: string): DecodedImage {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = imageFormatOf(buffer);
  if (format === 'png') return decodePng(buffer, file);
  if (format === 'jpeg') return decodeJpeg(buffer, file);
  throw new ImageDecodeError(file, `not a PNG or JPEG image (its first bytes are neither format's signature)`);
}

/** Reads and decodes one PNG or JPEG file. */
export function decodeImageFileSync(file: string): DecodedImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImageDecodeError(file, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? (error as Error).message})`);
  }
  return decodeImageBytes(bytes, file);
}

/** Reads and decodes one PNG or JPEG file (the decoders are synchronous; the promise keeps callers free to change that). */
export async function decodeImageFile(file: string): Promise<DecodedImage> {
  return decodeImageFileSync(file);
}
