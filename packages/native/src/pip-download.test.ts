import { describe, expect, it } from 'vitest';
import { parsePipLine, pipDownloadArgs } from './pip-download.ts';

describe('pip download', () => {
  it('asks for wheels only, without their Python dependencies, for a pinned Python', () => {
    const args = pipDownloadArgs(['tensorflow-cpu==2.21.0'], '/cache/wheels');
    expect(args.slice(0, 3)).toEqual(['-m', 'pip', 'download']);
    expect(args).toContain('--no-deps');
    expect(args).toContain('--only-binary=:all:');
    expect(args[args.indexOf('--python-version') + 1]).toBe('3.12');
    expect(args[args.indexOf('--dest') + 1]).toBe('/cache/wheels');
    expect(args.at(-1)).toBe('tensorflow-cpu==2.21.0');
  });

  it("reads pip's lines: a download with its size, a saved or already present wheel", () => {
    expect(parsePipLine('  Downloading tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl (274.0 MB)')).toEqual({
      downloading: { file: 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl', total: 274_000_000 },
    });
    expect(parsePipLine('Downloading https://files.example/x/nvidia_nccl_cu12-2.28.3-py3-none-manylinux_2_18_x86_64.whl (296.9 kB)').downloading)
      .toEqual({ file: 'nvidia_nccl_cu12-2.28.3-py3-none-manylinux_2_18_x86_64.whl', total: 296_900 });
    expect(parsePipLine('Saved ./tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl')).toEqual({ saved: 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl' });
    expect(parsePipLine('File was already downloaded /root/.cache/xp/native/wheels/tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl'))
      .toEqual({ saved: 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl' });
    expect(parsePipLine('Collecting tensorflow-cpu==2.21.0')).toEqual({});
  });
});
