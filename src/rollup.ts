/**
 * The Rollup plugin: writes one OCI image archive per emitted `.wasm` file
 * (`<output dir>/oci/<name>.tar` by default).
 *
 * @module
 * @example
 * ```js
 * // rollup.config.js
 * import wasmOci from 'unplugin-wasm-oci/rollup'
 *
 * export default { input: 'src/main.js', output: { dir: 'dist' }, plugins: [wasmOci()] }
 * ```
 */
import unplugin from './plugin/index.ts'

export default unplugin.rollup
