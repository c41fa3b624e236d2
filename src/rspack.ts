/**
 * The Rspack plugin: writes one OCI image archive per emitted `.wasm` file
 * (`<output dir>/oci/<name>.tar` by default).
 *
 * @module
 * @example
 * ```js
 * // rspack.config.js
 * import wasmOci from 'unplugin-wasm-oci/rspack'
 *
 * export default { entry: './src/main.js', plugins: [wasmOci()] }
 * ```
 */
import unplugin from './plugin/index.ts'

export default unplugin.rspack
