import type { Format } from '../core/formats/index.ts'

/** The bundlers the plugin has a collector for. */
export type Bundler = 'vite' | 'rollup' | 'rolldown' | 'esbuild' | 'webpack' | 'rspack'

/** What to do when a build emitted no `.wasm` file at all. */
export type NoWasmAction = 'warn' | 'error' | 'ignore'

/**
 * Glob patterns (`*`, `**`, `?`; a pattern without `/` matches the base name) or regular
 * expressions, tested against the emitted file's path relative to the output directory
 * (`assets/add-DkMAU0Nf.wasm`) and, when the bundler knows it, the source module's path
 * relative to the working directory (`src/wasm/add.wasm`), both with `/` separators.
 */
export type FilterPattern = string | RegExp | ReadonlyArray<string | RegExp>

/** One emitted `.wasm` file, as the `name` option sees it. */
export interface WasmAsset {
  /** The emitted file, relative to the output directory, with `/`: `assets/add-DkMAU0Nf.wasm`. */
  fileName: string
  /** Absolute path of the source module when the bundler reports it: `/app/src/add.wasm`. */
  source?: string
  /** Absolute path of the build's output directory. */
  outputDir: string
  /** The name the plugin uses unless `name` returns another: `add` for the two paths above. */
  defaultName: string
  bundler: Bundler
}

/** Options of `unplugin-wasm-oci`: one OCI image archive per emitted `.wasm` file. */
export interface Options {
  /**
   * The image format. `runwasi`: runwasi's "wasm layers" image, as its `oci-tar-builder`
   * writes it (containerd with a runwasi shim, Kubernetes with a wasm RuntimeClass).
   * @default 'runwasi'
   */
  format?: Format
  /**
   * The repository the images live in, optionally with a registry host; each image's
   * reference is `<repo>/<name>:<tag>`. An empty string gives `<name>:<tag>`.
   * @default 'localhost' (as podman names local images: `localhost/add:latest`)
   */
  repo?: string
  /** The tag of every image. @default 'latest' */
  tag?: string
  /**
   * The image name for a module, one repository path component (lowercase letters, digits,
   * `.`, `_`, `-`); it is also the module's file name inside the image (`<name>.wasm`) and
   * the archive's file name (`<name>.tar`). Return `undefined` to keep the default.
   * @default the source module's base name made into a valid name: `add` for
   * `assets/add-DkMAU0Nf.wasm` (from `src/add.wasm`); the emitted file's base name when
   * the bundler does not report the source (`4f1c…`, for webpack's sync wasm)
   */
  name?: (module: WasmAsset) => string | undefined
  /**
   * Where the archives go: relative to the build's output directory (Vite's `build.outDir`,
   * Rollup's and Rolldown's `output.dir` or the directory of `output.file`, esbuild's `outdir`
   * or the directory of `outfile`, webpack's and Rspack's `output.path`), or absolute. Each
   * archive is `<outDir>/<name>.tar`, written after the bundle (also with esbuild's
   * `write: false`). Use e.g. `'../oci'` to keep archives out of a directory deployed as static files.
   * @default 'oci' (so `dist/oci/add.tar`)
   */
  outDir?: string
  /** Which emitted `.wasm` files to pack (see `FilterPattern`). @default every emitted `.wasm` file */
  include?: FilterPattern
  /** Which emitted `.wasm` files to leave alone, even when `include` matches. @default [] */
  exclude?: FilterPattern
  /**
   * When a build writes no archive because no `.wasm` file was emitted (inlined as a data
   * URL, Vite library mode, SSR without emitted assets, a `new URL()` the bundler leaves
   * alone…): `'warn'` names the likely causes and their fixes, `'error'` also fails the build.
   * @default 'warn'
   */
  onNoWasm?: NoWasmAction
  /**
   * Seconds since the epoch for every timestamp in the archives.
   * @default the SOURCE_DATE_EPOCH environment variable at build time, else 0
   */
  sourceDateEpoch?: number | string
  /**
   * Extra manifest annotations, after the two naming ones (`io.containerd.image.name`,
   * `org.opencontainers.image.ref.name`), e.g. `{ 'org.opencontainers.image.source': url }`.
   * @default {}
   */
  annotations?: Record<string, string>
}

/** `Options` with every default applied and every value checked, as `resolveOptions` returns it. */
export interface ResolvedOptions {
  format: Format
  repo: string
  tag: string
  name: ((module: WasmAsset) => string | undefined) | undefined
  outDir: string
  include: Array<string | RegExp>
  exclude: Array<string | RegExp>
  onNoWasm: NoWasmAction
  /** `undefined`: read SOURCE_DATE_EPOCH when packing. */
  sourceDateEpoch: number | undefined
  annotations: Record<string, string>
}
