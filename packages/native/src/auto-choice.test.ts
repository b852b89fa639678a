import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { chooseAuto, decideAuto, decideByMeasurement, measurementKey, measurementsFile, NATIVE_MARGIN, readMeasurement, type Measurement } from './auto-choice.ts';

const measured = (wasm: number, tensorflow: number): Measurement => ({
  key: 'k', label: 'cnn-19816, batch 128', measuredAt: '2026-11-25T20:00:00.000Z', load: 2.1, batches: 10,
  wasm: { msPerBatch: wasm, threads: 2, workers: 2 }, tensorflow: { msPerBatch: tensorflow, threads: 2, workers: 1 },
});

describe('backend: auto', () => {
  it('takes a GPU when TensorFlow uses one, and wasm when native TensorFlow is not set up, without measuring', () => {
    expect(decideAuto({ gpu: true, nativeCpu: true, wasm: true })).toMatchObject({ backend: 'tensorflow-gpu' });
    expect(decideAuto({ gpu: false, nativeCpu: false, wasm: true })).toMatchObject({ backend: 'wasm' });
    expect(decideAuto({ gpu: false, nativeCpu: false, wasm: false })).toMatchObject({ backend: 'cpu' });
  });

  it('measures native CPU against wasm when both are there and nothing is recorded', () => {
    expect(decideAuto({ gpu: false, nativeCpu: true, wasm: true })).toBe('measure');
  });

  it('keeps wasm on a small network where native TensorFlow is slower (the seed network: ≈ 200 vs 137 ms)', () => {
    const d = decideByMeasurement(measured(137, 205));
    expect(d.backend).toBe('wasm');
    expect(d.reason).toContain('the wasm engine is faster');
    expect(d.reason).toContain('tensorflow 205 ms/step, wasm 137 ms/step');
  });

  it(`takes native TensorFlow only when it is at least ${Math.round((1 - NATIVE_MARGIN) * 100)} % faster`, () => {
    expect(decideByMeasurement(measured(1000, 700)).backend).toBe('tensorflow');
    expect(decideByMeasurement(measured(1000, NATIVE_MARGIN * 1000)).backend).toBe('tensorflow');
    const close = decideByMeasurement(measured(1000, 950));
    expect(close.backend).toBe('wasm');
    expect(close.reason).toContain('faster by less than 10 %');
  });

  it('measures once per model and machine, then decides from the record; remeasure replaces it', async () => {
    const env = { XP_NATIVE_CACHE: mkdtempSync(join(tmpdir(), 'xp-auto-')) };
    const measure = vi.fn(async (backend: string) => ({ msPerBatch: backend === 'wasm' ? 140 : 400, threads: 2, workers: backend === 'wasm' ? 2 : 1 }));
    const options = { presence: { gpu: false, nativeCpu: true, wasm: true }, key: 'model-a', label: 'a', env, measure, now: () => new Date('2026-11-25T20:00:00Z'), load: () => 1.5 };
    expect((await chooseAuto(options)).backend).toBe('wasm');
    expect(measure).toHaveBeenCalledTimes(2);
    expect((await chooseAuto(options)).backend).toBe('wasm');
    expect(measure).toHaveBeenCalledTimes(2);
    expect(readMeasurement(measurementsFile(env), 'model-a')).toMatchObject({ wasm: { msPerBatch: 140 }, tensorflow: { msPerBatch: 400 }, load: 1.5, batches: 3 });

    measure.mockImplementation(async (backend) => ({ msPerBatch: backend === 'wasm' ? 900 : 300, threads: 2, workers: 1 }));
    const again = await chooseAuto({ ...options, remeasure: true, batches: 10 });
    expect(again.backend).toBe('tensorflow');
    expect(readMeasurement(measurementsFile(env), 'model-a')).toMatchObject({ tensorflow: { msPerBatch: 300 }, batches: 10 });
    // A different model is measured on its own.
    expect((await chooseAuto({ ...options, key: 'model-b' })).backend).toBe('tensorflow');
    expect(measure).toHaveBeenCalledTimes(6);
  });

  it('treats a WebGPU adapter that is a GPU like native CPU: measured against wasm, taken when clearly faster', async () => {
    expect(decideAuto({ gpu: false, nativeCpu: false, wasm: true, webgpu: true })).toBe('measure');
    // A record made before WebGPU was there does not decide for it.
    expect(decideAuto({ gpu: false, nativeCpu: true, wasm: true, webgpu: true }, measured(137, 205))).toBe('measure');
    const withGpu: Measurement = { ...measured(137, 205), webgpu: { msPerBatch: 20, threads: 1, workers: 1 } };
    const d = decideByMeasurement(withGpu);
    expect(d.backend).toBe('webgpu');
    expect(d.reason).toContain('WebGPU is faster for this model: tensorflow 205 ms/step, wasm 137 ms/step, webgpu 20 ms/step');
    // A slow adapter (lavapipe-like figures) keeps wasm.
    const slow = decideByMeasurement({ key: 'k', label: 'l', measuredAt: '2026-12-02T10:00:00.000Z', load: 1, batches: 3, wasm: { msPerBatch: 137, threads: 2, workers: 2 }, webgpu: { msPerBatch: 4000, threads: 1, workers: 1 } });
    expect(slow.backend).toBe('wasm');
    expect(slow.reason).toContain('the wasm engine is faster');
    const env = { XP_NATIVE_CACHE: mkdtempSync(join(tmpdir(), 'xp-auto-')) };
    const measure = vi.fn(async (backend: string) => ({ msPerBatch: backend === 'wasm' ? 140 : 30, threads: 1, workers: 1 }));
    const chosen = await chooseAuto({ presence: { gpu: false, nativeCpu: false, wasm: true, webgpu: true }, key: 'm', label: 'm', env, measure });
    expect(chosen.backend).toBe('webgpu');
    expect(measure.mock.calls.map((c) => c[0])).toEqual(['wasm', 'webgpu']);
    expect(readMeasurement(measurementsFile(env), 'm')).not.toHaveProperty('tensorflow');
  });

  it('a key changes with the model, the batch size and the workers setting', () => {
    const base = { model: { blocks: { a: ['relu'] } }, batchSize: 128, workers: 'auto', tensorflow: '2.21.0' };
    expect(measurementKey(base)).toBe(measurementKey({ ...base }));
    expect(measurementKey(base)).not.toBe(measurementKey({ ...base, batchSize: 64 }));
    expect(measurementKey(base)).not.toBe(measurementKey({ ...base, workers: 1 }));
    expect(measurementKey(base)).not.toBe(measurementKey({ ...base, webgpu: 'NVIDIA H200' }));
    expect(measurementKey(base)).not.toBe(measurementKey({ ...base, model: { blocks: { a: ['relu', 'relu'] } } }));
  });
});
