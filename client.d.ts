/**
 * Types for `?oci` imports, as `vite/client` types Vite's: add `"unplugin-wasm-oci/client"` to
 * `compilerOptions.types` in tsconfig.json, or `/// <reference types="unplugin-wasm-oci/client" />`.
 *
 * ```ts
 * import image from './add.wasm?oci'
 * image.digest // 'sha256:…', the manifest digest of dist/oci/add.tar
 * ```
 *
 * TypeScript matches module names with one `*`: `./add.wasm?oci` matches `*.wasm?oci`, and with
 * options, `oci` written last (`./add.wasm?format=artifact&tag=v2&oci`) matches `*&oci`. The
 * bundlers take `oci` anywhere in the query; only the types need it first or last.
 *
 * The shape is `OciImage` from `unplugin-wasm-oci`, spelled out here so this file stands alone.
 */

declare module '*.wasm?oci' {
  /** The image this build writes for the module (`<outDir>/<name>.tar`), frozen. */
  const image: {
    /** The reference inside the archive: `localhost/add:latest`. */
    readonly reference: string
    /** The manifest digest: deploy `<repository>@<digest>` to run exactly this image. */
    readonly digest: string
    readonly format: 'runwasi' | 'artifact' | 'compat'
    /** The manifest's size in bytes (with `digest`, the manifest's descriptor). */
    readonly size: number
    readonly layers: ReadonlyArray<{ readonly mediaType: string; readonly digest: string; readonly size: number }>
  }
  export default image
}

declare module '*&oci' {
  /** The image this build writes for the module (`<outDir>/<name>.tar`), frozen. */
  const image: {
    /** The reference inside the archive: `localhost/add:v2`. */
    readonly reference: string
    /** The manifest digest: deploy `<repository>@<digest>` to run exactly this image. */
    readonly digest: string
    readonly format: 'runwasi' | 'artifact' | 'compat'
    /** The manifest's size in bytes (with `digest`, the manifest's descriptor). */
    readonly size: number
    readonly layers: ReadonlyArray<{ readonly mediaType: string; readonly digest: string; readonly size: number }>
  }
  export default image
}
