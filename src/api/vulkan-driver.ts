/**
 * Which Vulkan driver WebGPU's adapter comes from on Linux (doctor reports it). onnxruntime-node
 * does not expose the adapter Dawn picked, so this reads what the Vulkan loader reads: the driver
 * manifests named by VK_DRIVER_FILES / VK_ICD_FILENAMES, else those in the standard folders; a
 * hardware driver counts only when its device nodes exist. Dawn prefers a GPU to a CPU adapter,
 * so the adapter is the first usable hardware driver, else Mesa's lavapipe, the software one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface VulkanDriver {
  /** e.g. "Mesa lavapipe", "NVIDIA" */
  name: string;
  /** true for a driver that runs on the CPU (correct, but no faster than the CPU provider) */
  software: boolean;
  manifest: string;
}

const KNOWN: { pattern: RegExp; name: string; software: boolean; device: () => boolean }[] = [
  { pattern: /nvidia/i, name: 'NVIDIA', software: false, device: () => existsSync('/dev/nvidiactl') || hasRenderNode() },
  { pattern: /radeon/i, name: 'AMD RADV (Mesa)', software: false, device: hasRenderNode },
  { pattern: /intel/i, name: 'Intel ANV (Mesa)', software: false, device: hasRenderNode },
  { pattern: /lvp/i, name: 'Mesa lavapipe', software: true, device: () => true },
];

function hasRenderNode(): boolean {
  try {
    return readdirSync('/dev/dri').some((d) => d.startsWith('renderD'));
  } catch {
    return false;
  }
}

function manifests(env: NodeJS.ProcessEnv): string[] {
  const listed = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (listed) return listed.split(':').filter((p) => p.length > 0);
  const dirs = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
  return dirs.flatMap((d) => {
    try {
      return readdirSync(d)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(d, f));
    } catch {
      return [];
    }
  });
}

/** The driver WebGPU most likely runs on, or null when none is known (or not on Linux). */
export function vulkanDriver(env: NodeJS.ProcessEnv = process.env): VulkanDriver | null {
  if (process.platform !== 'linux') return null;
  const usable: VulkanDriver[] = [];
  for (const manifest of manifests(env)) {
    let library = basename(manifest);
    try {
      library = (JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path ?? library;
    } catch {
      continue; // unreadable manifests are skipped by the loader too
    }
    const known = KNOWN.find((k) => k.pattern.test(library) || k.pattern.test(basename(manifest)));
    if (known?.device()) usable.push({ name: known.name, software: known.software, manifest });
  }
  return usable.find((d) => !d.software) ?? usable[0] ?? null;
}
