import { describe, expect, it } from 'vitest';
import { requirementsForExtra } from './wheel.ts';

// The lines that matter from tensorflow-2.21.0's METADATA (abridged).
const METADATA = `Metadata-Version: 2.1
Name: tensorflow
Version: 2.21.0
Requires-Python: >=3.10
Requires-Dist: absl-py>=1.0.0
Requires-Dist: numpy>=1.26.0
Requires-Dist: nvidia-cublas-cu12<13.0,>=12.5.3.2; extra == "and-cuda"
Requires-Dist: nvidia-cudnn-cu12<10.0,>=9.3.0.75; extra == "and-cuda"
Requires-Dist: nvidia-nccl-cu12<3.0,>=2.27.7 ; extra == 'and-cuda'
Requires-Dist: tensorflow-io-gcs-filesystem>=0.23.1; (sys_platform != "win32" and python_version < "3.13") and extra == "gcs-filesystem"
Requires-Dist: something-else>=1; (sys_platform == "win32") and extra == "and-cuda"
`;

describe('requirementsForExtra', () => {
  it("lists the and-cuda extra's NVIDIA wheels with their version ranges", () => {
    expect(requirementsForExtra(METADATA, 'and-cuda')).toEqual([
      'nvidia-cublas-cu12<13.0,>=12.5.3.2',
      'nvidia-cudnn-cu12<10.0,>=9.3.0.75',
      'nvidia-nccl-cu12<3.0,>=2.27.7',
    ]);
  });

  it('leaves out other extras, unconditional requirements and ones with further markers', () => {
    expect(requirementsForExtra(METADATA, 'gcs-filesystem')).toEqual([]);
    expect(requirementsForExtra(METADATA, 'nothing')).toEqual([]);
  });
});
