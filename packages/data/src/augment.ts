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
  const at = (x: number, y: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? background : source[sourceOffset + y * width + x];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Undo the shift, then rotate back by -angle around the centre.
      const ux = x - transform.dx - cx;
      const uy = y - transform.dy - cy;
      const sx = cos * ux + sin * uy + cx;
      const sy = -sin * ux + cos * uy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      target[targetOffset + y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
}
