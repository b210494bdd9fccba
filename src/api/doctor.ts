/**
 * `introspect doctor`: which execution providers can really run a graph here. Listing what the
 * binding was built with is not enough (webgpu is bundled on Linux but needs a Vulkan driver; cuda
 * needs its provider library), so each provider creates a session on a one-node graph and runs it.
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, GraphBuilder, toModelBytes, type ExecutionProviderName } from '../onnx/index.js';
import { vulkanDriver, type VulkanDriver } from './vulkan-driver.js';

export type ExecutionProvider = ExecutionProviderName;

export interface ProviderCheck {
  provider: ExecutionProvider;
  ok: boolean;
  /** Why it failed (first line of ONNX Runtime's error). */
  error?: string;
  /** How to enable it when it does not work. */
  hint?: string;
  ms?: number;
  /** webgpu: the Vulkan driver its adapter comes from (see vulkan-driver.ts) */
  adapter?: VulkanDriver;
}

export interface DoctorReport {
  node: string;
  onnxruntime: string;
  platform: string;
  providers: ProviderCheck[];
}

const hints: Record<ExecutionProvider, string> = {
  cpu: 'reinstall dependencies with `npm ci`: the CPU provider ships with onnxruntime-node',
  cuda:
    'install the CUDA provider with `npm run install-cuda` (needs CUDA 12 and cuDNN 9 on the machine and access to ' +
    "onnxruntime-node's NuGet feed), then run `introspect doctor` again",
  webgpu:
    "needs a GPU with a Vulkan driver (Linux): install the vendor's Vulkan ICD and libvulkan1; for NVIDIA in containers " +
    'set VK_DRIVER_FILES to the nvidia_icd.json path',
};

/** A graph with one Add node: y = x + x. */
function probeGraph(): Uint8Array {
  const g = new GraphBuilder('doctor_probe');
  const x = g.input('x', 'float32', [4]);
  g.output(g.add(x, x), 'y');
  return toModelBytes(g.build());
}

export async function checkProvider(provider: ExecutionProvider, model: Uint8Array = probeGraph()): Promise<ProviderCheck> {
  const start = performance.now();
  try {
    const session = await ort.InferenceSession.create(model, { executionProviders: [provider], logSeverityLevel: 4 });
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]);
    const { y } = await session.run({ x });
    const values = Array.from(y!.data as Float32Array);
    await session.release();
    if (values.join(',') !== '2,4,6,8') throw new Error(`wrong result ${values.join(',')}`);
    const adapter = provider === 'webgpu' ? vulkanDriver() : null;
    return { provider, ok: true, ms: performance.now() - start, ...(adapter ? { adapter } : {}) };
  } catch (e) {
    const error = (String((e as Error).message ?? e).split('\n', 1)[0] ?? '').slice(0, 300);
    return { provider, ok: false, error, hint: hints[provider] };
  }
}

export async function runDoctor(): Promise<DoctorReport> {
  // A provider that fails to load is the expected answer here, not an error worth ONNX Runtime's log.
  ort.env.logLevel = 'fatal';
  const require = createRequire(import.meta.url);
  const model = probeGraph();
  const providers: ProviderCheck[] = [];
  for (const provider of EXECUTION_PROVIDERS) providers.push(await checkProvider(provider, model));
  return {
    node: process.version,
    onnxruntime: (require('onnxruntime-node/package.json') as { version: string }).version,
    platform: `${process.platform}-${process.arch}`,
    providers,
  };
}
