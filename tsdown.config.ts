import { defineConfig } from 'tsdown'

const BUNDLERS = ['vite', 'rollup', 'rolldown', 'esbuild', 'webpack', 'rspack']

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/core/index.ts',
    'src/registry/index.ts',
    'src/cli/oci-tar-builder.ts',
    'src/cli/wasm-oci.ts',
    ...BUNDLERS.map((bundler) => `src/${bundler}.ts`),
  ],
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  clean: true,
  fixedExtension: false,
  // The bundlers are optional peers, never bundled (the plugin only describes their shapes).
  deps: { neverBundle: ['vite', 'rollup', 'rolldown', 'esbuild', 'webpack', '@rspack/core'] },
})
