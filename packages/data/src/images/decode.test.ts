import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, decodeImageBytes, decodeImageFile } from './decode.ts';
import { convertChannels, resizeImage } from './resize.ts';

function greyPng(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data[y * width + x] = value(x, y);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0 });
}

function rgbPng(width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 2 });
  for (let p = 0; p < width * height; p++) {
    png.data[p * 4] = p;
    png.data[p * 4 + 1] = 255 - p;
    png.data[p * 4 + 2] = 7;
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 });
}

describe('decodeImageBytes', () => {
  it('reads a grey PNG as one channel, pixel for pixel', () => {
    const image = decodeImageBytes(greyPng(5, 3, (x, y) => x * 10 + y), 'g.png');
    expect([image.width, image.height, image.channels]).toEqual([5, 3, 1]);
    expect(image.data[2 * 5 + 4]).toBe(42);
  });

  it('reads an RGB PNG as three channels (HWC)', () => {
    const image = decodeImageBytes(rgbPng(4, 2), 'c.png');
    expect(image.channels).toBe(3);
    expect(Array.from(image.data.subarray(3 * 5, 3 * 6))).toEqual([5, 250, 7]);
  });

  it('reads a grey JPEG as one channel and a colour one as three', () => {
    const grey = Buffer.alloc(8 * 8 * 4, 255);
    for (let p = 0; p < 64; p++) grey[p * 4] = grey[p * 4 + 1] = grey[p * 4 + 2] = p * 4;
    const greyImage = decodeImageBytes(jpeg.encode({ data: grey, width: 8, height: 8 }, 95).data, 'g.jpg');
    expect(greyImage.channels).toBe(1);
    expect(Math.abs(greyImage.data[63] - 252)).toBeLessThan(12);
    const colour = Buffer.alloc(8 * 8 * 4, 255);
    for (let p = 0; p < 64; p++) colour[p * 4 + 1] = 0;
    expect(decodeImageBytes(jpeg.encode({ data: colour, width: 8, height: 8 }, 95).data, 'm.jpg').channels).toBe(3);
  });

  it('names the file of a truncated PNG and of bytes that are no image', async () => {
    const whole = greyPng(28, 28, (x) => x * 9);
    expect(() => decodeImageBytes(whole.subarray(0, whole.length - 30), 'digits/3/cut.png')).toThrow(/digits\/3\/cut\.png: not a readable PNG/);
    expect(() => decodeImageBytes(Buffer.from('hello, world'), 'notes.png')).toThrow(ImageDecodeError);
    const dir = mkdtempSync(join(tmpdir(), 'xp-decode-'));
    writeFileSync(join(dir, 'a.png'), whole);
    expect((await decodeImageFile(join(dir, 'a.png'))).data[27]).toBe(243);
    await expect(decodeImageFile(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png: no such file/);
  });
});

describe('resizeImage and convertChannels', () => {
  it('keeps a uniform image uniform and interpolates a ramp bilinearly with half-pixel centres', () => {
    const flat = resizeImage({ width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(90) }, 7, 5);
    expect([flat.width, flat.height, flat.channels]).toEqual([7, 5, 3]);
    expect(flat.data.every((v) => v === 90)).toBe(true);
    // A 2-pixel ramp [0, 200] doubled: half-pixel centres give 0, 50, 150, 200.
    const ramp = resizeImage({ width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 200]) }, 4, 1);
    expect(Array.from(ramp.data)).toEqual([0, 50, 150, 200]);
  });

  it('returns the same image when the size already fits', () => {
    const image = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array(4) };
    expect(resizeImage(image, 2, 2)).toBe(image);
  });

  it('repeats grey into RGB and takes BT.601 luma back', () => {
    const rgb = convertChannels({ width: 1, height: 1, channels: 1, data: Uint8Array.from([77]) }, 3);
    expect(Array.from(rgb.data)).toEqual([77, 77, 77]);
    const grey = convertChannels({ width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0]) }, 1);
    expect(Array.from(grey.data)).toEqual([76]);
  });
});
