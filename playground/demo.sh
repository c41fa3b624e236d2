#!/usr/bin/env bash
# npm run demo: from a fresh clone, installs and builds the package, builds the playground with
# Vite (its plugin writes one OCI archive per wasm module into playground/dist/oci/), shows what
# was written, and runs the hello module back out of its archive under node:wasi.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "npm ci (the package)"
npm ci --no-audit --no-fund
step "npm run build (the package: dist/)"
npm run build

cd playground
step "npm ci (the playground: Vite and the plugin from ..)"
npm ci --no-audit --no-fund
step "npm run build (the playground: vite build + unplugin-wasm-oci)"
npm run build

WASM_OCI="node ../dist/cli/wasm-oci.js"
step "archives written"
ls -l dist/oci/
for archive in dist/oci/*.tar; do
  $WASM_OCI verify "$archive"
  $WASM_OCI inspect "$archive"
done

step "wasm-oci run dist/oci/hello.tar (the layer is streamed out of the archive by its digest)"
$WASM_OCI run dist/oci/hello.tar
