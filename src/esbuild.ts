/**
 * The esbuild plugin: writes one OCI image archive per emitted `.wasm` file
 * (`<output dir>/oci/<name>.tar` by default).
 *
 * @module
 * @example
 * ```js
 * // build.js
 * import wasmOci from 'unplugin-wasm-oci/esbuild'
 *
 * await esbuild.build({ entryPoints: ['src/main.js'], bundle: true, outdir: 'dist', loader: { '.wasm': 'file' }, plugins: [wasmOci()] })
 * ```
 */
import unplugin from './plugin/index.ts'

export default unplugin.esbuild
