import { displayPath } from './logger.ts'
import type { Bundler } from './types.ts'

const VITE_CAUSES = [
  "Vite inlines assets smaller than build.assetsInlineLimit (4096 bytes) as data: URLs: set build.assetsInlineLimit to 0, or to (file) => file.endsWith('.wasm') ? false : undefined",
  'Vite library mode (build.lib) inlines every asset: build the app that loads the module without build.lib, or emit the .wasm from a plugin (this.emitFile)',
  'a Vite SSR build emits assets only with build.ssrEmitAssets: true (environments.ssr.build.emitAssets in Vite 6+); the client build has them otherwise',
]
const ROLLUP_CAUSES = [
  "@rollup/plugin-wasm inlines modules up to maxFileSize (14336 bytes) as base64: set maxFileSize: 0",
  "new URL('./x.wasm', import.meta.url) is left alone, nothing is emitted: import the module through a plugin that emits it (this.emitFile), such as @rollup/plugin-wasm",
]
const ROLLDOWN_CAUSES = [
  "new URL('./x.wasm', import.meta.url) is left alone, nothing is emitted: import the module and set moduleTypes: { '.wasm': 'asset' }",
  '@rollup/plugin-wasm inlines modules up to maxFileSize (14336 bytes) as base64: set maxFileSize: 0',
]
const ESBUILD_CAUSES = [
  "new URL('./x.wasm', import.meta.url) is left alone, nothing is emitted: import the module with loader: { '.wasm': 'file' }",
  "loader 'binary' or 'dataurl' for .wasm inlines it: use loader: { '.wasm': 'file' }",
]
const WEBPACK_CAUSES = [
  "a rule with type: 'asset' inlines files below parser.dataUrlCondition.maxSize (8096 bytes): use type: 'asset/resource' for .wasm",
  "type: 'asset/inline' always inlines: use type: 'asset/resource'",
]

const CAUSES: Record<Bundler, string[]> = {
  vite: VITE_CAUSES,
  rollup: ROLLUP_CAUSES,
  rolldown: ROLLDOWN_CAUSES,
  esbuild: ESBUILD_CAUSES,
  webpack: WEBPACK_CAUSES,
  rspack: WEBPACK_CAUSES,
}

/** The no-wasm warning: names the causes seen in real builds of this bundler, and each fix. */
export function noWasmMessage(bundler: Bundler, outputDir: string, filtered: number): string {
  const lead = filtered > 0
    ? `the include/exclude options left none of the ${filtered} .wasm file(s) emitted into ${displayPath(outputDir)}, so no OCI archive was written: check those options`
    : `no .wasm file was emitted into ${displayPath(outputDir)}, so no OCI archive was written. Likely causes:`
  const causes = filtered > 0 ? [] : CAUSES[bundler].map((cause) => `\n  - ${cause}`)
  return `${lead}${causes.join('')}\nSet onNoWasm: 'ignore' to silence this, or 'error' to fail the build.`
}
