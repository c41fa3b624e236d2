import type { CreatedSource } from '../core/annotations.ts'
import type { Format } from '../core/formats/index.ts'
import type { Credentials, RegistryOptions } from '../registry/types.ts'

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

/** Options of `unplugin-wasm-oci`: one OCI image archive per emitted `.wasm` file and per `?oci` import. */
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
   * the bundler does not report the source (`4f1c…`, for webpack's sync wasm). A module
   * imported with `?oci` is named by its query (`?oci&name=…`), else after its source: this
   * option maps emitted files only.
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
  /** Which emitted `.wasm` files to pack (see `FilterPattern`); `?oci` imports are always packed. @default every emitted `.wasm` file */
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
   * Manifest annotations, after the two naming ones (`io.containerd.image.name`,
   * `org.opencontainers.image.ref.name`). Keys are reverse-DNS names (`com.example.team`).
   * `'auto'` fills the standard `org.opencontainers.image.*` ones from the project (see
   * `AutoAnnotations`); `{ auto: true, 'com.example.team': 'infra' }` does both, the explicit
   * ones winning. Any annotation changes the manifest digest, so a runwasi image then no longer
   * has the digest runwasi's `oci-tar-builder` gives it: that is why none is added by default.
   * @default {}
   */
  annotations?: AnnotationsOption
  /**
   * Write a build report: one JSON file listing, per image, its source module, archive,
   * reference, manifest/config/layer digests and sizes, and where it was pushed (what a deploy
   * step reads). `true` writes `<outDir>/oci-report.json`; a path is relative to the build's
   * output directory, like `outDir`, or absolute. Written atomically, with a stable key order:
   * the same build gives the same bytes.
   * @default false
   */
  report?: boolean | string
  /**
   * Push every image after its archive is written, from the same image plan (the archive is
   * not read back). `true` pushes each image to its own reference (`<repo>/<name>:<tag>`, so
   * give `repo` a registry: `repo: 'ghcr.io/acme'`); a string is a reference template such as
   * `'ghcr.io/acme/[name]:[tag]'`; `PushConfig` adds extra tags and registry settings. In watch
   * mode an image is pushed again only when its manifest changed. A failed push fails the build.
   * Credentials come from `WASM_OCI_USERNAME`/`WASM_OCI_PASSWORD`, then docker's config
   * (`docker login`, credential helpers).
   * @default false
   */
  push?: boolean | string | PushConfig
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
  /** The explicit annotations. */
  annotations: Record<string, string>
  /** `undefined`: no standard annotations. */
  autoAnnotations: Required<AutoAnnotations> | undefined
  /** The report's path, relative to the output directory or absolute; `undefined`: no report. */
  report: string | undefined
  push: ResolvedPush | undefined
}

/** A reverse-DNS annotation key: `org.opencontainers.image.vendor`, `com.example.team`. */
export type AnnotationKey = `${string}.${string}`

/** Explicit annotations, optionally with `auto` for the standard ones (see `Options.annotations`). */
export type AnnotationsOption = 'auto' | ({ [key: AnnotationKey]: string } & { auto?: boolean | AutoAnnotations })

/**
 * The standard annotations, from the nearest package.json at or above the project root (Vite's
 * `root`, webpack's `context`, esbuild's `absWorkingDir`, Rolldown's `cwd`, else the working
 * directory) and its git checkout: `source` (`repository` as a URL), `revision` (the HEAD
 * commit), `version`, `licenses`, `description`, `url` (`homepage`), `title` (the image name)
 * and, as `created` says, `created`. What the project does not state is left out.
 */
export interface AutoAnnotations {
  /**
   * Where `org.opencontainers.image.created` comes from, never the clock: `'source-date-epoch'`
   * the `sourceDateEpoch` option or SOURCE_DATE_EPOCH (left out when neither is set),
   * `'commit'` the HEAD commit's committer time, `false` never.
   * @default 'source-date-epoch'
   */
  created?: CreatedSource
}

/** Where and how to push (see `Options.push`). */
export interface PushConfig {
  /**
   * A reference template: `[name]` is the image name, `[tag]` its tag; without a tag the
   * image's own tag is used. E.g. `'ghcr.io/acme/[name]:[tag]'`, `'127.0.0.1:5000/apps/[name]'`.
   * @default each image's own reference, `<repo>/<name>:<tag>`
   */
  reference?: string
  /** More tags for the same manifest, e.g. `['v1.2.3', 'stable']`. @default [] */
  tags?: string[]
  /** Credentials that win over `WASM_OCI_USERNAME`/`WASM_OCI_PASSWORD` and docker's config. @default found as `docker push` finds them */
  credentials?: Credentials
  /** Allow plain HTTP and skip TLS checks (as docker's `insecure-registries`); `localhost` and `127.0.0.1` may use HTTP anyway. @default false */
  insecure?: boolean
  /** A PEM file of CA certificates to trust besides Node's own and `NODE_EXTRA_CA_CERTS`. @default none */
  caFile?: string
  /** The directory holding docker's `config.json`. @default $DOCKER_CONFIG, else ~/.docker */
  dockerConfig?: string
}

/** `push` as `resolveOptions` returns it. */
export interface ResolvedPush {
  /** The reference template; `undefined`: each image's own reference. */
  reference: string | undefined
  tags: string[]
  registry: Pick<RegistryOptions, 'credentials' | 'insecure' | 'caFile' | 'dockerConfig'>
}

/** One layer of an `OciImage`: its descriptor in the manifest. */
export interface OciLayer {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
}

/**
 * What `import image from './add.wasm?oci'` evaluates to: a frozen summary of the image this
 * build writes to `<outDir>/<name>.tar` for that module (and pushes, with `push`). Query options
 * override the plugin's: `?oci&format=artifact&tag=v2&name=add-artifact&repo=ghcr.io/acme`.
 */
export interface OciImage {
  /** The reference inside the archive: `localhost/add:latest`. */
  readonly reference: string
  /** The manifest digest: deploy `<repository>@<digest>` to run exactly this image. */
  readonly digest: string
  readonly format: Format
  /** The manifest's size in bytes (with `digest`, the manifest's descriptor). */
  readonly size: number
  readonly layers: readonly OciLayer[]
}
