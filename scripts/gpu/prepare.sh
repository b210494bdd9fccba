#!/usr/bin/env bash
# Run HERE (the development machine), once before scripts/gpu/run-on-device.sh: packs what the
# device machine lacks into two git-ignored folders that the device tool carries:
#   .gpu/bundle.tar.xz   Node.js binary, production node_modules (onnxruntime-node's linux-x64
#                        binaries only), the built dist/ (tests and scripts included)
#   .gpu/shared/         the Hugging Face fixtures the WebGPU parity tests read (../shared does not travel)
#   .gl/*.deb            the Vulkan loader (libvulkan1), unpacked there (it has the NVIDIA ICD, not the loader)
# The device tool's working-tree limit is 64 MiB; the bundle is ~40 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build >/dev/null
rm -rf .gpu && mkdir -p .gpu/stage/bin .gpu/shared/fixtures
cp "$(readlink -f "$(command -v node)")" .gpu/stage/bin/node
cp -r dist .gpu/stage/dist
# Production dependencies only, without other platforms' onnxruntime binaries.
cp package.json package-lock.json .gpu/stage/
(cd .gpu/stage && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
cp -r node_modules/onnxruntime-node/bin .gpu/stage/node_modules/onnxruntime-node/
find .gpu/stage/node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 ! -path '*/linux/x64' -exec rm -rf {} +
rm -f .gpu/stage/package.json .gpu/stage/package-lock.json
SHARED="${INTROSPECT_SHARED_DIR:-../shared}"
cp -r "$SHARED/fixtures/hf" .gpu/shared/fixtures/
tar -C .gpu/stage -cf - . | xz -6 -T2 > .gpu/bundle.tar.xz
rm -rf .gpu/stage
if [ ! -f .gl/libvulkan1.deb ] && ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 >/dev/null)
fi
du -sh .gpu .gl
