import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from './dawn.ts';
import { vulkanProblems } from './vulkan.ts';

describe('WebGPU adapter and Vulkan checks', () => {
  it('calls lavapipe and SwiftShader CPU emulations, and an NVIDIA GPU not', () => {
    const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1', isFallbackAdapter: true };
    expect(isSoftwareAdapter(lavapipe)).toBe(true);
    expect(isSoftwareAdapter({ ...lavapipe, isFallbackAdapter: false, architecture: '' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', architecture: '', device: 'swiftshader', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false })).toBe(false);
  });

  it('names the package to install for a missing loader or driver', () => {
    const [loader, driver] = vulkanProblems({ drivers: [] }, {});
    expect(loader).toContain('apt-get install libvulkan1');
    expect(driver).toContain('bookworm-backports');
    expect(driver).toContain('mesa-vulkan-drivers');
    expect(driver).toContain('VK_DRIVER_FILES');
    expect(vulkanProblems({ loader: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', drivers: ['/usr/share/vulkan/icd.d/lvp_icd.json'] }, {})).toEqual([]);
    expect(vulkanProblems({ loader: '/x', drivers: [] }, { VK_DRIVER_FILES: '/nowhere/nvidia_icd.json' })[0]).toContain('none of VK_DRIVER_FILES=/nowhere/nvidia_icd.json exists');
  });
});
