/**
 * Seeded random rotation and shift of single-channel images, by inverse mapping with bilinear
 * interpolation: each output pixel reads the source point it came from, so no holes appear.
 */
import type { Random } from './random.ts';

/** The spec's data.augment (loading fills in a 0 for whichever of the two it leaves out). */
export interface AugmentOptions {
  /** Largest rotation in degrees, drawn uniformly from [-rotation, rotation]. */
  rotation: number;
  /** Largest shift as a fraction of the image size, drawn per axis from [-shift, shift]. */
  shift: number;
}

export interface ImageTransform {
  /** Radians, counter-clockwise. */
  angle: number;
  /** Pixels, + moves content right. */
  dx: number;
  /** Pixels, + moves content down. */
  dy: number;
}

export function isAugmenting(options: AugmentOptions | undefined): options is AugmentOptions {
  return options !== undefined && (options.rotation > 0 || options.shift > 0);
}

export function drawTransform(options: AugmentOptions, height: number, width: number, random: Random): ImageTransform {
  const { rotation, shift } = options;
  const symmetric = (): number => random() * 2 - 1;
  // Always draw three numbers so the stream's position does not depend on which options are on.
  const angle = (symmetric() * rotation * Math.PI) / 180;
  const dx = symmetric() * shift * width;
  const dy = symmetric() * shift * height;
  return { angle, dx, dy };
}

/**
 * Writes the transformed `source` (height*width values) into `target` at `targetOffset`; pixels
 * whose origin falls outside the image take `background`.
 *
 * Training assembles every batch through here, so it is written for speed but computes, pixel for
 * pixel, the same doubles in the same order as the plain formula (augment.test.ts holds it to that
 * bit for bit): the products that depend on one axis only are taken once per column or row, and a
 * source square wholly inside the image is read without bounds checks.
 */
export function transformImage(
  source: Float32Array,
  sourceOffset: number,
  target: Float32Array,
  targetOffset: number,
  height: number,
  width: number,
  transform: ImageTransform,
  background: number,
): void {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(transform.angle);
  const sin = Math.sin(transform.angle);
  // Undo the shift, then rotate back by -angle around the centre:
  // sx = cos·ux + sin·uy + cx, sy = −sin·ux + cos·uy + cy, with ux = x − dx − cx, uy = y − dy − cy.
  const cosUx = new Float64Array(width);
  const minusSinUx = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const ux = x - transform.dx - cx;
    cosUx[x] = cos * ux;
    minusSinUx[x] = -sin * ux;
  }
  const at = (x: number, y: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? background : source[sourceOffset + y * width + x];
  for (let y = 0; y < height; y++) {
    const uy = y - transform.dy - cy;
    const sinUy = sin * uy;
    const cosUy = cos * uy;
    const row = targetOffset + y * width;
    for (let x = 0; x < width; x++) {
      const sx = cosUx[x] + sinUy + cx;
      const sy = minusSinUx[x] + cosUy + cy;
      let x0 = sx | 0;
      if (x0 > sx) x0--;
      let y0 = sy | 0;
      if (y0 > sy) y0--;
      const fx = sx - x0;
      const fy = sy - y0;
      let a: number, b: number, c: number, d: number;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        const i = sourceOffset + y0 * width + x0;
        a = source[i];
        b = source[i + 1];
        c = source[i + width];
        d = source[i + width + 1];
      } else {
        a = at(x0, y0);
        b = at(x0 + 1, y0);
        c = at(x0, y0 + 1);
        d = at(x0 + 1, y0 + 1);
      }
      const top = a * (1 - fx) + b * fx;
      const bottom = c * (1 - fx) + d * fx;
      target[row + x] = top * (1 - fy) + bottom * fy;
    }
  }
}
