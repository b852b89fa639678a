import { describe, expect, it } from 'vitest';
import { drawTransform, transformImage, type ImageTransform } from './augment.ts';
import { seededRandom } from './random.ts';

/** The transform as its formula reads, each pixel on its own: what transformImage must equal bit for bit. */
function plainTransform(source: Float32Array, height: number, width: number, t: ImageTransform, background: number): Float32Array {
  const out = new Float32Array(height * width);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= width || y >= height ? background : source[y * width + x]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ux = x - t.dx - cx;
      const uy = y - t.dy - cy;
      const sx = cos * ux + sin * uy + cx;
      const sy = -sin * ux + cos * uy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

describe('transformImage', () => {
  it('equals the plain formula bit for bit, inside the image and at its borders', () => {
    const random = seededRandom(3, 1);
    for (const [height, width] of [[28, 28], [5, 9], [2, 2]]) {
      const source = Float32Array.from({ length: height * width }, () => random() * 2 - 1);
      // Small draws (the main job's), large ones that move most pixels outside, and none at all.
      const draws = [
        ...Array.from({ length: 40 }, () => drawTransform({ rotation: 7, shift: 0.05 }, height, width, random)),
        ...Array.from({ length: 40 }, () => drawTransform({ rotation: 180, shift: 0.6 }, height, width, random)),
        { angle: 0, dx: 0, dy: 0 },
        { angle: 0, dx: -1, dy: 1 },
      ];
      for (const t of draws) {
        const target = new Float32Array(height * width + 3).fill(7);
        transformImage(source, 0, target, 3, height, width, t, -0.42);
        expect(target.subarray(0, 3)).toEqual(new Float32Array([7, 7, 7]));
        expect(Array.from(target.subarray(3))).toEqual(Array.from(plainTransform(source, height, width, t, -0.42)));
      }
    }
  });

  it('moves an image by whole pixels exactly and fills what it uncovers with the background', () => {
    const source = Float32Array.from({ length: 16 }, (_, i) => i);
    const target = new Float32Array(16);
    transformImage(source, 0, target, 0, 4, 4, { angle: 0, dx: 1, dy: 0 }, -1);
    expect(Array.from(target)).toEqual([-1, 0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10, -1, 12, 13, 14]);
  });
});
