/**
 * Classifying images with an exported model (model/): each image brought to the model's input as
 * the run's data was (channels converted where they differ, resized by @xp/data's resizeImage,
 * pixel/255 then (x − mean[c]) / std[c] from xp-model.json), then the model's probabilities, the
 * top K classes by name. The model is opened with stock tf.loadLayersModel: no xp layer is needed.
 */
import * as tf from '@tensorflow/tfjs';
import { convertChannels, resizeImage, type DecodedImage } from '@xp/data';
import { fileLoadHandler } from '../train/checkpoint.ts';
import type { XpModelMetadata } from './model-metadata.ts';
import type { PredictInput } from './predict-inputs.ts';

export interface ClassProbability {
  class: string;
  index: number;
  probability: number;
}

export interface Prediction {
  input: string;
  top: ClassProbability[];
}

export interface PredictResult {
  predictions: Prediction[];
  /** Inputs whose channels were converted (RGB → grey or grey → RGB) and whose size was changed. */
  converted: number;
  resized: number;
}

const BATCH = 256;

/** The model's input for one image: its channels and size the model's, normalized. */
export function preprocess(image: DecodedImage, meta: XpModelMetadata, out: Float32Array, offset: number): { converted: boolean; resized: boolean } {
  const { height, width, channels } = meta.input;
  const converted = image.channels !== channels;
  const fitted = resizeImage(converted ? convertChannels(image, channels as 1 | 3) : image, width, height);
  const { mean, std, divideBy } = meta.normalization;
  const size = height * width * channels;
  for (let i = 0; i < size; i++) {
    const c = i % channels;
    out[offset + i] = (fitted.data[i] / divideBy - mean[c]) / std[c];
  }
  return { converted, resized: image.width !== width || image.height !== height };
}

export async function predictImages(modelDir: string, meta: XpModelMetadata, inputs: readonly PredictInput[], topK: number): Promise<PredictResult> {
  const model = await tf.loadLayersModel(fileLoadHandler(modelDir));
  const { height, width, channels } = meta.input;
  const size = height * width * channels;
  const k = Math.min(topK, meta.classes.length);
  const predictions: Prediction[] = [];
  let converted = 0;
  let resized = 0;
  try {
    for (let start = 0; start < inputs.length; start += BATCH) {
      const batch = inputs.slice(start, start + BATCH);
      const x = new Float32Array(batch.length * size);
      batch.forEach((input, i) => {
        const done = preprocess(input.image, meta, x, i * size);
        if (done.converted) converted++;
        if (done.resized) resized++;
      });
      const probabilities = tf.tidy(() => (model.predict(tf.tensor4d(x, [batch.length, height, width, channels])) as tf.Tensor2D).arraySync());
      batch.forEach((input, i) => {
        const row = probabilities[i];
        const top = row
          .map((probability, index) => ({ class: meta.classes[index], index, probability }))
          .sort((a, b) => b.probability - a.probability || a.index - b.index)
          .slice(0, k);
        predictions.push({ input: input.name, top });
      });
    }
  } finally {
    model.dispose();
  }
  return { predictions, converted, resized };
}
