#!/usr/bin/env bash
# The real-GPU check, run on a borrowed machine from the repo root with .device-kit carried
# (bench/device-kit.sh makes it): the GPU's name, `gradscope bench --full` (our kernels, tfjs and
# the measured peak on Dawn's Vulkan), and SPEC's largest config, 4096 × 2048 × 4096 in 1 GiB.
# Everything lands in $OUT. DEVICE_KIT_SKIP_GL=1 leaves the system's Vulkan loader alone;
# BENCH_ARGS (default --full) and LARGEST_TIMEOUT (seconds, default 420) shorten it.
set -uo pipefail
kit=.device-kit
out=${OUT:-/tmp/gradscope-device}
mkdir -p "$out"
if [ -z "${DEVICE_KIT_SKIP_GL:-}" ] && ! ldconfig -p | grep -q libvulkan.so.1; then
  for deb in "$kit"/gl/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
node=$(mktemp -d)/node
xz -dc "$kit/node.xz" > "$node" && chmod +x "$node"
gunzip -kf "$kit/node_modules/webgpu/dist/linux-x64/dawn.node.gz"
(nvidia-smi -L || true) > "$out/gpu.txt" 2>&1
# shellcheck disable=SC2086
"$node" "$kit/bin/gradscope.mjs" bench ${BENCH_ARGS---full} 2>&1 | tee "$out/bench.txt"
cp bench/results/*-node-*.json "$out/" 2>/dev/null
started=$(date +%s)
timeout "${LARGEST_TIMEOUT:-420}" "$node" "$kit/bin/gradscope.mjs" run --depth 4096 --width 2048 --batch 4096 \
  > "$out/largest.json" 2> "$out/largest.err"
echo "largest config: exit $? after $(( $(date +%s) - started )) s" | tee -a "$out/largest.err"
