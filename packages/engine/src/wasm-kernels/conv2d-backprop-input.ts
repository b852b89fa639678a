/**
 * Conv2DBackpropInput for `wasm` as a forward convolution.
 *
 * The stock kernel is a scalar six-deep loop (the largest single cost of a training step).
 * The input gradient of a convolution is the "full" correlation of dy with the spatially
 * flipped filter whose in/out channels are swapped, so it can run on the same SIMD convolution
 * as the forward pass: dy gets zeros inserted between rows/columns when the stride is > 1, and
 * the padding becomes (filter - 1 - forward padding) on the leading sides, with whatever makes
 * the output exactly the forward input's size on the trailing sides.
 *
 * The convolution itself runs on the engine's direct SIMD kernel (./conv-direct.ts) when the
 * channel counts allow, else on XNNPACK.
 */
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { directConv } from './conv-direct.ts';
import { call, dispose, f32, xnnConv, type TensorInfo, type Wasm } from './util.ts';

interface Attrs {
  inputShape: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** w[kh,kw,ci,co] → w'[fh-1-kh, fw-1-kw, co, ci] */
export function flipSwapFilter(backend: Wasm, filter: TensorInfo): TensorInfo {
  const [fh, fw, ci, co] = filter.shape;
  const out = backend.makeOutput([fh, fw, co, ci], 'float32');
  const src = f32(backend, filter);
  const dst = f32(backend, out);
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const s0 = (kh * fw + kw) * ci * co;
      const d0 = ((fh - 1 - kh) * fw + (fw - 1 - kw)) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[d0 + o * ci + i] = src[s0 + i * co + o];
      }
    }
  }
  return out;
}

/** dy[n,h,w,c] → z[n,h*sh,w*sw,c], zeros elsewhere; shape [(oh-1)*sh+1, (ow-1)*sw+1]. */
function dilate(backend: Wasm, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, c] = dy.shape;
  const dh = (oh - 1) * sh + 1;
  const dw = (ow - 1) * sw + 1;
  const out = backend.makeOutput([n, dh, dw, c], 'float32');
  const src = f32(backend, dy);
  const dst = f32(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const s = ((b * oh + y) * ow + x) * c;
        const d = ((b * dh + y * sh) * dw + x * sw) * c;
        dst.set(src.subarray(s, s + c), d);
      }
    }
  }
  return out;
}

function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: Wasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, inHeight, inWidth, padInfo } = info;
  const dh = (info.outHeight - 1) * sh + 1;
  const dw = (info.outWidth - 1) * sw + 1;
  const pads = {
    top: fh - 1 - padInfo.top,
    left: fw - 1 - padInfo.left,
    bottom: inHeight - dh + padInfo.top,
    right: inWidth - dw + padInfo.left,
  };
  if (info.dataFormat !== 'channelsLast' || Object.values(pads).some((p) => p < 0)) {
    return call(backend, 'Conv2DBackpropInput', inputs, attrs as unknown as Record<string, unknown>);
  }
  const w = flipSwapFilter(backend, filter);
  const z = sh === 1 && sw === 1 ? dy : dilate(backend, dy, sh, sw);
  const dx = directConv(backend, z, w, null, { strideH: 1, strideW: 1, pads, outH: inHeight, outW: inWidth, relu: false })
    ?? xnnConv(backend, z, w, pads);
  dispose(backend, w);
  if (z !== dy) dispose(backend, z);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
