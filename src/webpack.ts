/**
 * The webpack plugin: writes one OCI image archive per emitted `.wasm` file
 * (`<output dir>/oci/<name>.tar` by default).
 *
 * @module
 * @example
 * ```js
 * // webpack.config.js
 * import wasmOci from 'unplugin-wasm-oci/webpack'
 *
 * export default { entry: './src/main.js', plugins: [wasmOci()] }
 * ```
 */
import unplugin from './plugin/index.ts'

export default unplugin.webpack
