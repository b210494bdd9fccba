#!/usr/bin/env node
// `npm run install-cuda`: fetches onnxruntime-node's CUDA 12 execution provider, which the default
// install does not run (.npmrc: ignore-scripts) because its NuGet feed is not always reachable. Runs onnxruntime-node's
// own installer with its explicit flag and turns a network failure into one clear message.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
const flavour = process.argv[2] ?? 'cuda12';
const env = { ...process.env };
delete env.npm_config_onnxruntime_node_install; // an old .npmrc "skip" must not win over the explicit flag
const result = spawnSync(process.execPath, [join(ortDir, 'script', 'install.js'), `--onnxruntime-node-install=${flavour}`], {
  cwd: ortDir,
  env,
  encoding: 'utf8',
});
process.stdout.write(result.stdout ?? '');
if (result.status !== 0) {
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  const network = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|getaddrinfo|socket hang up|Failed to download/i.test(output);
  console.error(
    network
      ? `install-cuda: could not reach onnxruntime-node's package feed to download the ${flavour} provider; ` +
          'check the network or proxy (GLOBAL_AGENT_HTTPS_PROXY) and run `npm run install-cuda` again.'
      : `install-cuda: onnxruntime-node's installer failed:\n${output.trim().split('\n').slice(-5).join('\n')}`,
  );
  process.exit(1);
}
console.log(`install-cuda: ${flavour} provider installed; check it with \`npx introspect doctor\`.`);
