import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { PLUGIN_NAME } from './errors.ts'
import { findOciId } from './oci-id.ts'
import { type EmittedWasm, type PackSession, packOutput } from './pack-output.ts'
import type { Bundler } from './types.ts'

// Structural types for the part of webpack's and Rspack's API used here (the same for both).
interface SourceLike {
  buffer(): Buffer
  size(): number
}
interface AssetLike {
  name: string
  source: SourceLike
  info: { sourceFilename?: string }
}
interface ModuleLike {
  type: string
  resource?: string
  originalSource(): SourceLike | null
  /** A concatenated module's parts. */
  modules?: Iterable<ModuleLike>
}
interface CompilationLike {
  outputOptions: { path?: string }
  errors: unknown[]
  warnings: unknown[]
  modules: Iterable<ModuleLike>
  getAssets(): readonly AssetLike[]
  getLogger(name: string): { info(message: string): void }
}
interface OutputFileSystemLike {
  readFile(path: string, callback: (error?: NodeJS.ErrnoException | null, data?: Buffer | string) => void): void
}
interface CompilerLike {
  context: string
  outputFileSystem?: OutputFileSystemLike | null
  webpack: { WebpackError: new (message: string) => Error }
  hooks: { afterEmit: { tapPromise(name: string, hook: (compilation: CompilationLike) => Promise<void>): void } }
}

const WASM_FILE = /\.wasm$/i
const ASYNC_WASM_MODULE = 'webassembly/async'

/**
 * webpack and Rspack: `afterEmit`, every build (Rspack's `output.clean` removes what an earlier
 * build wrote), over all of `getAssets()`: `emittedAssets` leaves out the unchanged ones.
 */
export function createCompilerApply(bundler: Bundler, session: PackSession): (compiler: CompilerLike) => void {
  return function apply(compiler: CompilerLike): void {
    session.root = compiler.context
    compiler.hooks.afterEmit.tapPromise(PLUGIN_NAME, async (compilation) => {
      if (compilation.errors.length > 0) return
      const { WebpackError } = compiler.webpack
      const outputDir = resolve(compiler.context, compilation.outputOptions.path ?? 'dist')
      const logger = compilation.getLogger(PLUGIN_NAME)
      try {
        const wasm = await collectWasm(compiler, compilation, outputDir)
        await packOutput(session, { bundler, outputDir, wasm, imports: collectImports(compilation.modules) }, {
          info: (message) => logger.info(message),
          warn: (message) => compilation.warnings.push(new WebpackError(message)),
        })
      } catch (error) {
        const wrapped = new WebpackError(error instanceof Error ? error.message : String(error))
        compilation.errors.push(Object.assign(wrapped, { cause: error }))
      }
    })
  }
}

async function collectWasm(compiler: CompilerLike, compilation: CompilationLike, outputDir: string): Promise<EmittedWasm[]> {
  const assets = compilation.getAssets().filter((asset) => WASM_FILE.test(asset.name))
  const asyncModules = assets.some((asset) => asset.info.sourceFilename === undefined) ? listAsyncWasm(compilation) : []
  return Promise.all(assets.map(async (asset): Promise<EmittedWasm> => {
    const path = join(outputDir, asset.name)
    // After emit webpack keeps only each asset's size; webpack-dev-middleware and friends keep
    // the output in memory, where only the compiler's output file system can read it.
    const onDisk = (await fileSize(path)) === asset.source.size()
    const read = onDisk ? () => readFile(path) : () => readOutputFile(compiler, path)
    const { sourceFilename } = asset.info
    const source = sourceFilename !== undefined ? resolve(compiler.context, sourceFilename) : await findAsyncSource(asyncModules, asset.source.size(), read)
    return {
      fileName: asset.name,
      ...(source !== undefined && { source }),
      ...(!onDisk && { contents: read }),
    }
  }))
}

/** The `?oci` modules of the compilation, unplugin virtual modules, also inside concatenated modules. */
function collectImports(modules: Iterable<ModuleLike>): string[] {
  const ids = new Set<string>()
  const visit = (module: ModuleLike): void => {
    const id = findOciId(module.resource)
    if (id !== undefined) ids.add(id)
    for (const inner of module.modules ?? []) visit(inner)
  }
  for (const module of modules) visit(module)
  return [...ids].sort()
}

function listAsyncWasm(compilation: CompilationLike): ModuleLike[] {
  return [...compilation.modules].filter((module) => module.type === ASYNC_WASM_MODULE && module.resource !== undefined)
}

/** Async wasm (`[hash].module.wasm`) is emitted byte for byte: its module is the one with the same bytes. */
async function findAsyncSource(modules: ModuleLike[], size: number, read: () => Promise<Uint8Array>): Promise<string | undefined> {
  const candidates = modules.filter((module) => module.originalSource()?.size() === size)
  if (candidates.length === 0) return undefined
  const bytes = Buffer.from(await read().catch(() => new Uint8Array()))
  return candidates.find((module) => module.originalSource()?.buffer().equals(bytes))?.resource?.replace(/[?#].*$/, '')
}

function readOutputFile(compiler: CompilerLike, path: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const fs = compiler.outputFileSystem
    if (!fs) reject(new Error(`${path} is not on disk and the compiler has no output file system`))
    else fs.readFile(path, (error, data) => (error || data === undefined ? reject(error ?? new Error(`cannot read ${path}`)) : resolve(Buffer.from(data))))
  })
}

function fileSize(path: string): Promise<number | undefined> {
  return stat(path).then((stats) => stats.size, () => undefined)
}
