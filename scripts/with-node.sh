#!/usr/bin/env bash
# Runs a command under Node >= 22 with the project's npm packages installed.
# Vigil targets Node 24 LTS. When the system Node is older (or missing), Node 24 is provisioned
# from the npm registry (the node-<os>-<arch> package carries the official binary) into
# .cache/node and put first on PATH, so everything below runs on it, npm's own scripts included.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_version="24.21.0"
min_major=22

node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(node_major)" -lt "$min_major" ]; then
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "vigil: unsupported OS $(uname -s); install Node ${min_major}+ yourself" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "vigil: unsupported CPU $(uname -m); install Node ${min_major}+ yourself" >&2; exit 1 ;;
  esac
  pkg="node-${os}-${arch}"
  prefix="$root/.cache/node/$node_version"
  bin="$prefix/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "vigil: npm is required to provision Node $node_version" >&2; exit 1; }
    echo "vigil: system Node is older than ${min_major}; provisioning Node $node_version into .cache/node" >&2
    mkdir -p "$prefix"
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$prefix" "${pkg}@${node_version}" >&2
  fi
  export PATH="$bin:$PATH"
fi

cd "$root"
# kafkajs 2.2.4 passes negative timeouts to setTimeout, which Node 23+ warns about on every retry.
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning ${NODE_OPTIONS:-}"
# Install (or refresh) the npm packages when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "vigil: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

exec "$@"
