/** doctor's Vulkan driver detection from the loader's manifests (hand-written manifests in a temp folder). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vulkanDriver } from '../../src/api/vulkan-driver.js';

test(
  'the driver named by VK_DRIVER_FILES: lavapipe is reported as software, a GPU driver without its device is not usable',
  { skip: process.platform !== 'linux' && 'Vulkan manifests are a Linux thing' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'introspect-icd-'));
    const manifest = (file: string, library: string) => {
      writeFileSync(
        join(dir, file),
        JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }),
      );
      return join(dir, file);
    };
    const lvp = manifest('lvp_icd.json', 'libvulkan_lvp.so');
    const nvidia = manifest('nvidia_icd.json', 'libGLX_nvidia.so.0');
    assert.deepEqual(vulkanDriver({ VK_DRIVER_FILES: lvp }), { name: 'Mesa lavapipe', software: true, manifest: lvp });
    const gpu = vulkanDriver({ VK_DRIVER_FILES: `${nvidia}:${lvp}` });
    if (existsSync('/dev/nvidiactl')) assert.equal(gpu?.name, 'NVIDIA', 'a GPU adapter is preferred to the CPU one');
    else assert.equal(gpu?.name, 'Mesa lavapipe', 'no NVIDIA device here: only lavapipe can give an adapter');
    assert.equal(vulkanDriver({ VK_DRIVER_FILES: join(dir, 'missing.json') }), null);
  },
);
