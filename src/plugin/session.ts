import type { ImagePlan } from '../core/plan.ts'
import type { ReportImage, ReportPush } from '../core/report.ts'
import { BlobSources } from '../registry/push.ts'
import { type PathFilter, createFilter } from './filter.ts'
import type { Format } from '../core/formats/index.ts'
import type { ResolvedOptions } from './types.ts'

/** The image planned for one `?oci` module when it was loaded: its JS module states this plan's digest. */
export interface ImportedImage {
  /** The module id: `\0wasm-oci:/app/src/add.wasm?oci&tag=v2`. */
  id: string
  /** Absolute path of the `.wasm` file. */
  source: string
  name: string
  format: Format
  plan: ImagePlan
  /** The file as it was planned: a later change makes the plan stale. */
  stat: { size: number; mtimeMs: number }
}

/** A push already done in this session, by target and tags: watch rebuilds push only what changed. */
export interface PushRecord {
  digest: string
  pushed: ReportPush
}

/** One per plugin instance: what the options resolved to, and what it has done so far. */
export interface PackSession {
  options: ResolvedOptions
  filter: PathFilter
  /** The project root: Vite's `root`, webpack's `context`, esbuild's `absWorkingDir`, Rolldown's `cwd`. */
  root: string
  /** Output directories that got archives: a later output without wasm is then no surprise. */
  packedDirs: Set<string>
  warnedDirs: Set<string>
  /** `?oci` modules by id, as last loaded. */
  imports: Map<string, Promise<ImportedImage>>
  /** The standard annotations by project root, read once per build. */
  standardAnnotations: Map<string, Promise<Record<string, string>>>
  pushes: Map<string, PushRecord>
  /** Where blobs were pushed before: later pushes to the same registry mount instead of uploading. */
  blobSources: BlobSources
  /** Report entries by report path, then archive path, with the output directory that wrote them. */
  reports: Map<string, Map<string, { outputDir: string; image: ReportImage }>>
}

export function createSession(options: ResolvedOptions): PackSession {
  return {
    options,
    filter: createFilter(options.include, options.exclude),
    root: process.cwd(),
    packedDirs: new Set(),
    warnedDirs: new Set(),
    imports: new Map(),
    standardAnnotations: new Map(),
    pushes: new Map(),
    blobSources: new BlobSources(),
    reports: new Map(),
  }
}
