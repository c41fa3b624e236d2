/**
 * The Rolldown plugin: writes one OCI image archive per emitted `.wasm` file
 * (`<output dir>/oci/<name>.tar` by default).
 *
 * @module
 * @example
 * ```js
 * // rolldown.config.js
 * import wasmOci from 'unplugin-wasm-oci/rolldown'
 *
 * export default { input: 'src/main.js', moduleTypes: { '.wasm': 'asset' }, plugins: [wasmOci()] }
 * ```
 */
import unplugin from './plugin/index.ts'

export default unplugin.rolldown
