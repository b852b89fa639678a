/**
 * What Dawn needs from the system on Linux: the Vulkan loader (libvulkan.so.1) and at least one
 * Vulkan driver (an ICD manifest). Dawn only says "no adapter" when either is missing, so the setup
 * looks for them itself and names the package to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface VulkanStack {
  /** Where libvulkan.so.1 was found, if anywhere. */
  loader?: string;
  /** ICD manifests the loader will read (VK_DRIVER_FILES / VK_ICD_FILENAMES when set, else the standard folders). */
  drivers: string[];
}

const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

function loaderPath(env: NodeJS.ProcessEnv): string | undefined {
  const extra = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  for (const dir of [...extra, ...LOADER_DIRS]) {
    const file = join(dir, 'libvulkan.so.1');
    if (existsSync(file)) return file;
  }
  try {
    const line = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').find((l) => l.includes('libvulkan.so.1'));
    return line?.split('=>')[1]?.trim();
  } catch {
    return undefined;
  }
}

export function findVulkan(env: NodeJS.ProcessEnv = process.env): VulkanStack {
  const named = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const drivers = named !== undefined
    ? named.split(':').filter((f) => f && existsSync(f))
    : ICD_DIRS.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)));
  return { loader: loaderPath(env), drivers };
}

/** On Debian 12 Mesa 22.3's lavapipe lacks a feature Dawn requires; Mesa 25 comes from bookworm-backports. */
export const LAVAPIPE_INSTALL =
  "Debian 12: add bookworm-backports to apt's sources (Suites: bookworm-backports in /etc/apt/sources.list.d/), then `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` (Mesa 25's lavapipe, a CPU emulation; Mesa 22.3's is refused by Dawn); Debian 13 / Ubuntu 24.04: `apt-get install mesa-vulkan-drivers libvulkan1`";

export const NVIDIA_DRIVER_HINT =
  "with an NVIDIA GPU, its driver's Vulkan manifest (nvidia_icd.json): point VK_DRIVER_FILES at it, e.g. VK_DRIVER_FILES=/usr/share/vulkan/icd.d/nvidia_icd.json";

/** What is missing, in words a user can act on; empty when the loader and a driver are there. */
export function vulkanProblems(stack: VulkanStack, env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  if (!stack.loader) problems.push('the Vulkan loader libvulkan.so.1 is not installed: `apt-get install libvulkan1` (Debian/Ubuntu)');
  if (stack.drivers.length === 0) {
    const where = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES) !== undefined ? `none of VK_DRIVER_FILES=${env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES} exists` : `no driver manifest in ${ICD_DIRS.join(', ')}`;
    problems.push(`no Vulkan driver (${where}): ${NVIDIA_DRIVER_HINT}; without a GPU, ${LAVAPIPE_INSTALL}`);
  }
  return problems;
}
