/**
 * Fitting a decoded image to a model's input: its size and its number of channels.
 *
 * Resizing is bilinear with half-pixel centres, by TensorFlow.js's `tf.image.resizeBilinear`
 * (`halfPixelCenters: true`), then rounded to 8 bits: the same method Keras's
 * `image_dataset_from_directory` uses by default (`interpolation="bilinear"` through
 * `tf.image.resize`) and Pillow's BILINEAR when enlarging, so a model trained here sees what one
 * trained there saw. The aspect ratio is not kept (the image is stretched), as in Keras.
 */
import * as tf from '@tensorflow/tfjs';
import type { DecodedImage, ImageChannels } from './decode.ts';

/** The stated resize method, as recorded with a run. */
export const RESIZE_METHOD = 'bilinear (half-pixel centres, tf.image.resizeBilinear), stretched to the target size';

/** `image` resized to width × height (bilinear, half-pixel centres); the same object when it already has that size. */
export function resizeImage(image: DecodedImage, width: number, height: number): DecodedImage {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`resize target must be positive integers, got ${width}×${height}`);
  }
  if (image.width === width && image.height === height) return image;
  const resized = tf.tidy(() => {
    const input = tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, image.channels]);
    return tf.image.resizeBilinear(input, [height, width], false, true).dataSync();
  });
  const data = new Uint8Array(width * height * image.channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(resized[i])));
  return { width, height, channels: image.channels, data };
}

/**
 * `image` with `channels` channels: grey repeated into R, G and B, or RGB to grey by ITU-R BT.601
 * luma (0.299 R + 0.587 G + 0.114 B, Pillow's "L"). Used only when the spec asks for it
 * (`data.channels`): a silent conversion would hide a model fed the wrong kind of data.
 */
export function convertChannels(image: DecodedImage, channels: ImageChannels): DecodedImage {
  if (image.channels === channels) return image;
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels * channels);
  const from = image.data;
  if (channels === 3) {
    for (let p = 0; p < pixels; p++) data[p * 3] = data[p * 3 + 1] = data[p * 3 + 2] = from[p];
  } else {
    for (let p = 0; p < pixels; p++) {
      const at = p * 3;
      data[p] = Math.round(0.299 * from[at] + 0.587 * from[at + 1] + 0.114 * from[at + 2]);
    }
  }
  return { width: image.width, height: image.height, channels, data };
}
