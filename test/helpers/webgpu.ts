/**
 * Whether WebGPU tests can run here: they need a WebGPU adapter (a GPU with a Vulkan driver, or
 * Mesa's lavapipe on CPU-only machines: see `.ci/run`). Tests skip with this reason otherwise.
 */
import { checkProvider } from '../../src/api/doctor.js';

let probe: Promise<string | false> | null = null;

/** false when WebGPU runs here, else why not (a `test(..., { skip })` reason). */
export function webgpuSkipReason(): Promise<string | false> {
  probe ??= checkProvider('webgpu').then((check) =>
    check.ok ? false : `no WebGPU adapter (${check.error}); .ci/run installs Mesa's lavapipe for these tests`,
  );
  return probe;
}
