/**
 * The packer core and the build plugin. The default export is the unplugin instance
 * (`.vite()`, `.rollup()`, `.rolldown()`, `.esbuild()`, `.webpack()`, `.rspack()`); the
 * per-bundler entries (`unplugin-wasm-oci/vite`, …) export one of them each.
 *
 * @module
 */
export * from './core/index.ts'
export { default, resolveOptions, unplugin, unpluginFactory } from './plugin/index.ts'
export type { Bundler, FilterPattern, NoWasmAction, Options, ResolvedOptions, WasmAsset } from './plugin/index.ts'
