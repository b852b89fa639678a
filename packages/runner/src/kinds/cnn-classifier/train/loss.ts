/** Negative log-likelihood on log-probabilities, as PyTorch's F.nll_loss after log_softmax. */
import * as tf from '@tensorflow/tfjs';

/** Sum over the batch of −log p(label); labels are int32 class indices. */
export function nllLossSum(logProbs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, logProbs.shape[1])), 1);
    return tf.neg(tf.sum(picked)) as tf.Scalar;
  });
}

/** Mean over the batch: the training loss. */
export function nllLoss(logProbs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.div(nllLossSum(logProbs, labels), logProbs.shape[0]) as tf.Scalar);
}

/** How many rows' largest output is at the label. */
export function correctCount(outputs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(outputs, 1), labels), 'int32')) as tf.Scalar);
}
