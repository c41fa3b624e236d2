import { dirname, relative, resolve } from 'node:path'
import { PLUGIN_NAME } from './errors.ts'
import type { Logger } from './logger.ts'
import { findOciId } from './oci-id.ts'
import { type EmittedWasm, type PackSession, packOutput } from './pack-output.ts'

// Structural types for the part of esbuild's API used here.
interface OutputFileLike {
  path: string
  contents: Uint8Array
}
interface MetafileLike {
  inputs?: Record<string, unknown>
  outputs: Record<string, { inputs: Record<string, unknown> }>
}
interface BuildResultLike {
  errors: unknown[]
  metafile?: MetafileLike
  outputFiles?: OutputFileLike[]
}
interface MessageLike {
  text: string
}
interface PluginBuildLike {
  initialOptions: { metafile?: boolean; absWorkingDir?: string; outdir?: string; outfile?: string; logLevel?: string }
  onEnd(callback: (result: BuildResultLike) => Promise<{ errors?: MessageLike[]; warnings?: MessageLike[] } | undefined>): void
}

const WASM_FILE = /\.wasm$/i
const INFO_LEVELS = new Set(['info', 'debug', 'verbose'])

/**
 * esbuild: `onEnd`, with the metafile turned on to learn each output's source. Its paths are
 * relative to `absWorkingDir`; with `write: false` nothing is on disk and the bytes come from
 * `outputFiles`. Warnings and errors go back into the result, so esbuild reports them (and a
 * pack error fails the build).
 */
export function createEsbuildSetup(session: PackSession): (build: PluginBuildLike) => void {
  return function setup(build: PluginBuildLike): void {
    build.initialOptions.metafile = true
    session.root = build.initialOptions.absWorkingDir ?? process.cwd()
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return undefined
      const options = build.initialOptions
      const cwd = options.absWorkingDir ?? process.cwd()
      const outputDir = resolve(cwd, options.outdir ?? (options.outfile !== undefined ? dirname(options.outfile) : '.'))
      const warnings: MessageLike[] = []
      const logger: Logger = {
        info: (text) => {
          // esbuild prints nothing below its logLevel ('warning' by default for the JS API).
          if (INFO_LEVELS.has(options.logLevel ?? '')) process.stderr.write(`[${PLUGIN_NAME}] ${text}\n`)
        },
        warn: (text) => warnings.push({ text }),
      }
      try {
        const imports = [...new Set(Object.keys(result.metafile?.inputs ?? {}).map(findOciId).filter((id): id is string => id !== undefined))].sort()
        await packOutput(session, { bundler: 'esbuild', outputDir, wasm: collectWasm(result, cwd, outputDir), imports }, logger)
        return { warnings }
      } catch (error) {
        return { warnings, errors: [{ text: error instanceof Error ? error.message : String(error) }] }
      }
    })
  }
}

function collectWasm(result: BuildResultLike, cwd: string, outputDir: string): EmittedWasm[] {
  const outputs = result.metafile?.outputs ?? {}
  const sourceOf = (path: string): string | undefined => {
    const input = Object.keys(outputs[toPosix(relative(cwd, path))]?.inputs ?? {})[0]
    // Inputs outside the file namespace are shown as "ns:path": no file to name the image after.
    return input === undefined || /^[a-z-]+:/i.test(input) ? undefined : resolve(cwd, input)
  }
  if (result.outputFiles) {
    return result.outputFiles
      .filter((file) => WASM_FILE.test(file.path))
      .map((file) => withSource({ fileName: toPosix(relative(outputDir, file.path)), contents: () => file.contents }, sourceOf(file.path)))
  }
  return Object.keys(outputs)
    .filter((key) => WASM_FILE.test(key))
    .map((key) => {
      const path = resolve(cwd, key)
      return withSource({ fileName: toPosix(relative(outputDir, path)) }, sourceOf(path))
    })
}

function withSource(wasm: EmittedWasm, source: string | undefined): EmittedWasm {
  return source === undefined ? wasm : { ...wasm, source }
}

function toPosix(path: string): string {
  return path.replaceAll('\\', '/')
}
