import wasmOci from 'unplugin-wasm-oci/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  build: {
    // Vite inlines assets under 4096 bytes as data: URLs; these modules are smaller, and only
    // emitted files can be packed. Other assets keep the default limit.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
  },
  // One archive per module: dist/oci/hello.tar, add.tar, fib.tar, named localhost/playground/<name>:latest.
  plugins: [wasmOci({ repo: 'localhost/playground' })],
})
