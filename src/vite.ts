/**
 * The Vite plugin: writes one OCI image archive per emitted `.wasm` file
 * (`<output dir>/oci/<name>.tar` by default).
 *
 * @module
 * @example
 * ```js
 * // vite.config.ts
 * import wasmOci from 'unplugin-wasm-oci/vite'
 *
 * export default defineConfig({ plugins: [wasmOci()] })
 * ```
 */
import unplugin from './plugin/index.ts'

export default unplugin.vite
