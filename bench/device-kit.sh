#!/usr/bin/env bash
# Packs what a borrowed GPU machine needs to run gradscope's Node engine, the bench and SPEC's
# largest config: it has no network and the device tool carries at most 64 MiB. Builds dist-node,
# then fills .device-kit/ (ignored by git): this machine's node (xz), Dawn's linux-x64 dawn.node
# (gzip), the webgpu and long packages' JavaScript, dist-node, bin/gradscope.mjs and the Vulkan
# loader's .deb. On the device: bench/device-check.sh, with `carry: [".device-kit"]`.
set -euo pipefail
cd "$(dirname "$0")/.."
kit=.device-kit
npm run build:node
rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/gl" "$kit/node_modules/webgpu/dist/linux-x64"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$kit/node.xz"
gzip -c node_modules/webgpu/dist/linux-x64/dawn.node > "$kit/node_modules/webgpu/dist/linux-x64/dawn.node.gz"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$kit/node_modules/webgpu/"
cp -r node_modules/long "$kit/node_modules/"
cp -r dist-node "$kit/"
cp bin/gradscope.mjs "$kit/bin/"
# The Vulkan loader, as the device tool's README fetches it (amd64, whatever this machine is).
lists=$(mktemp -d)
mkdir -p "$lists/partial"
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt_options[@]}" update >/dev/null
(cd "$kit/gl" && apt-get "${apt_options[@]}" download libvulkan1 >/dev/null)
rm -rf "$lists"
du -sh "$kit"
