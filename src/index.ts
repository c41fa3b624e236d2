/**
 * The packer core and the build plugin. The default export is the unplugin instance
 * (`.vite()`, `.rollup()`, `.rolldown()`, `.esbuild()`, `.webpack()`, `.rspack()`); the
 * per-bundler entries (`unplugin-wasm-oci/vite`, …) export one of them each. `OciImage` is
 * what a `?oci` import evaluates to (`unplugin-wasm-oci/client` declares those modules).
 *
 * @module
 */
export * from './core/index.ts'
export { default, resolveOptions, unplugin, unpluginFactory } from './plugin/index.ts'
export type {
  AnnotationKey,
  AnnotationsOption,
  AutoAnnotations,
  Bundler,
  FilterPattern,
  NoWasmAction,
  OciImage,
  OciLayer,
  Options,
  PushConfig,
  ResolvedOptions,
  ResolvedPush,
  WasmAsset,
} from './plugin/index.ts'
