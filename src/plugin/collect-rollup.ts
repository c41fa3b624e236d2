import { basename, dirname, isAbsolute, resolve } from 'node:path'
import { findOciId } from './oci-id.ts'
import type { EmittedWasm, PackSession } from './pack-output.ts'
import { packOutput } from './pack-output.ts'
import type { Bundler } from './types.ts'

// Structural types: Vite 8's come from Rolldown, Vite 7's from Rollup; the hooks see the same shape.
interface OutputOptionsLike {
  dir?: string
  file?: string
}
interface OutputAssetLike {
  type: 'asset'
  fileName: string
  names?: readonly string[]
  originalFileNames?: readonly string[]
}
interface OutputChunkLike {
  type: 'chunk'
  modules: Record<string, { code: string | null }>
}
type OutputBundleLike = Record<string, OutputAssetLike | OutputChunkLike>

interface PluginContextLike {
  info(message: string): void
  warn(message: string): void
  error(error: Error): never
  /** Every module of the build; Rollup, Rolldown and Vite have it. */
  getModuleIds?(): Iterable<string>
}

type WriteBundleHook = (this: PluginContextLike, outputOptions: OutputOptionsLike, bundle: OutputBundleLike) => Promise<void>

const WASM_FILE = /\.wasm$/i

/**
 * Vite, Rollup and Rolldown: their own `writeBundle(outputOptions, bundle)`, once per output
 * (and per Vite environment), after the files are on disk. The session's root resolves relative
 * paths: Rolldown's output directory and source paths are relative to its `cwd`, Vite's sources
 * to its root. Every `?oci` module of the build's graph is packed into each of its outputs.
 */
export function createWriteBundle(bundler: Bundler, session: PackSession): WriteBundleHook {
  return async function writeBundle(this: PluginContextLike, outputOptions: OutputOptionsLike, bundle: OutputBundleLike): Promise<void> {
    const base = session.root
    const outputDir = resolveOutputDir(outputOptions, base)
    const wasm = collectWasm(bundle, base)
    const logger = { info: (message: string) => this.info(message), warn: (message: string) => this.warn(message) }
    try {
      await packOutput(session, { bundler, outputDir, wasm, imports: collectImports(this, bundle) }, logger)
    } catch (error) {
      this.error(error as Error)
    }
  }
}

function collectImports(context: PluginContextLike, bundle: OutputBundleLike): string[] {
  const ids = context.getModuleIds
    ? [...context.getModuleIds()]
    : Object.values(bundle).flatMap((output) => (output.type === 'chunk' ? Object.keys(output.modules) : []))
  return [...new Set(ids.map(findOciId).filter((id): id is string => id !== undefined))].sort()
}

function resolveOutputDir({ dir, file }: OutputOptionsLike, base: string): string {
  if (dir !== undefined) return resolve(base, dir)
  return file !== undefined ? dirname(resolve(base, file)) : base
}

function collectWasm(bundle: OutputBundleLike, root: string): EmittedWasm[] {
  const wasm: EmittedWasm[] = []
  for (const output of Object.values(bundle)) {
    if (output.type !== 'asset' || !WASM_FILE.test(output.fileName)) continue
    const original = output.originalFileNames?.[0]
    // @rollup/plugin-wasm names every asset "Rollup WASM Asset": only a `.wasm` name is the source's.
    const sourceName = output.names?.find((name) => WASM_FILE.test(name))
    const source = original !== undefined ? resolve(root, original) : findSourceModule(bundle, output.fileName)
    wasm.push({
      fileName: output.fileName,
      ...(source !== undefined && { source }),
      ...(sourceName !== undefined && { sourceName }),
    })
  }
  return wasm
}

/**
 * Assets emitted under a fixed `fileName` (@rollup/plugin-wasm's `[hash16].wasm`) carry no
 * source: the one `.wasm` module whose rendered code names the file is it.
 */
function findSourceModule(bundle: OutputBundleLike, fileName: string): string | undefined {
  const needle = basename(fileName)
  const found = new Set<string>()
  for (const output of Object.values(bundle)) {
    if (output.type !== 'chunk') continue
    for (const [id, module] of Object.entries(output.modules)) {
      const path = id.replace(/[?#].*$/, '').replace(/^\0/, '')
      if (WASM_FILE.test(path) && isAbsolute(path) && module.code?.includes(needle)) found.add(path)
    }
  }
  return found.size === 1 ? [...found][0] : undefined
}
