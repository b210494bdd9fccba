/**
 * Whether WebGPU tests can run here: they need a WebGPU adapter (a GPU with a Vulkan driver, or
 * Mesa's lavapipe on CPU-only machines: see `.ci/run`). Tests skip with this reason otherwise.
 */
import { checkProvider } from '../../src/api/doctor.js';

let probe: Promise<string | false> | null = null;

/**
 * false when WebGPU runs here, else why not (a `test(..., { skip })` reason). With
 * INTROSPECT_REQUIRE_WEBGPU=1 (CI) a missing adapter is an error instead of a skip.
 */
export function webgpuSkipReason(): Promise<string | false> {
  probe ??= checkProvider('webgpu').then((check) => {
    if (check.ok) return false;
    const reason = `no WebGPU adapter (${check.error}); .ci/run installs Mesa's lavapipe for these tests`;
    if (process.env.INTROSPECT_REQUIRE_WEBGPU === '1') throw new Error(reason);
    return reason;
  });
  return probe;
}
