#!/usr/bin/env bash
# Run ON THE DEVICE MACHINE (the device tool's `run`, carry [".gpu", ".gl"]) after
# scripts/gpu/prepare.sh here: the WebGPU parity suite on the real GPU, then the benchmark of
# scripts/gpu/bench.ts on Qwen2.5-0.5B- and 1.5B-shaped random-weight models against PyTorch CUDA
# eager. Everything it measures goes to $OUT (doctor.txt, parity.log, bench-*.log, gpu-*.json).
#   SHAPES="0.5b 1.5b" EP=webgpu SAMPLER=graph scripts/gpu/run-on-device.sh   (SAMPLER=host: the host sampler)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-/tmp/introspect-gpu-out}"; mkdir -p "$OUT"
# The Vulkan loader, unless the machine has one (the NVIDIA ICD is there, the loader may not be).
ldconfig -p | grep -q 'libvulkan.so.1 ' || { for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; }
# dist/ and node_modules/ go into the checkout itself (introspect finds its package.json above dist/).
rm -rf /tmp/introspect && mkdir -p /tmp/introspect && tar -C /tmp/introspect -xJf .gpu/bundle.tar.xz
rm -rf node_modules dist && mv /tmp/introspect/node_modules /tmp/introspect/dist .
export PATH=/tmp/introspect/bin:$PATH
export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
export XDG_RUNTIME_DIR=/tmp INTROSPECT_SHARED_DIR="$PWD/.gpu/shared" INTROSPECT_CACHE_DIR=/tmp/introspect-cache
EP="${EP:-webgpu}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/doctor.txt" 2>&1
node bin/run.js doctor >> "$OUT/doctor.txt" 2>&1
INTROSPECT_REQUIRE_WEBGPU=1 node scripts/run-tests.mjs --webgpu > "$OUT/parity.log" 2>&1; echo "parity exit $?" >> "$OUT/parity.log"
tail -9 "$OUT/parity.log"
for shape in ${SHAPES:-0.5b 1.5b}; do
  timeout "${BENCH_TIMEOUT:-240}" node dist/scripts/gpu/bench.js --shape "$shape" --ep "$EP" --batch "${BATCH:-64}" --newTokens "${NEW_TOKENS:-512}" \
    --trainBatch "${TRAIN_BATCH:-8}" --seqLen "${SEQ_LEN:-512}" --repeats "${REPEATS:-1}" --sampler "${SAMPLER:-graph}" > "$OUT/bench-$shape.log" 2>&1
  echo "bench $shape exit $?"; grep -E '"(tokens_per_s|decode_ratio_to_pytorch|update_ratio_to_pytorch|host_bytes_per_step)"' "$OUT/bench-$shape.log"
done
cp runs/bench/gpu-*.json "$OUT/" 2>/dev/null || true
