/**
 * The setup module of a data-parallel cnn-classifier run (see ./parallel.ts and
 * engine/parallel.ts): inside each worker thread, the spec's training model and xp's optimizer,
 * exactly as the single-thread path builds them.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataParallelTask } from '@xp/engine';
import { withBatchSlice } from './fused-layers.ts';
import { batchScores, readScores } from './evaluate.ts';
import { buildTrainingSetup } from './model.ts';
import { exportTrainingState, importTrainingState, type ParallelSetupArgs } from './parallel.ts';
import { trainableVariables, trainingLoss } from './step.ts';
import { applyWasmSettings } from './wasm-settings.ts';

export async function setup(args: ParallelSetupArgs): Promise<DataParallelTask> {
  if (args.prodMode) tf.enableProdMode();
  // The run's arithmetic, as on the main thread; a worker computes on its one core.
  await applyWasmSettings(args.spec, 1);
  const { model, optimizer } = buildTrainingSetup(args.spec);
  return {
    variables: trainableVariables(model),
    loss: (x, y, slice) => withBatchSlice(slice, () => trainingLoss(model, x as tf.Tensor4D, tf.cast(y, 'int32') as tf.Tensor1D)),
    apply: (grads, lr) => {
      if (lr === undefined) throw new Error('a cnn-classifier step needs its learning rate');
      optimizer.apply(grads, lr);
    },
    evaluate: (x, y, predictions) => {
      const labels = tf.cast(y, 'int32') as tf.Tensor1D;
      try {
        return readScores(batchScores(model, x as tf.Tensor4D, labels, predictions === true));
      } finally {
        labels.dispose();
      }
    },
    exportState: () => exportTrainingState(model, optimizer),
    importState: (state) => importTrainingState(model, optimizer, state),
  };
}
