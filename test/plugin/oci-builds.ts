import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { runInNewContext } from 'node:vm'
import type { Bundler, Options } from '../../src/plugin/types.ts'
import esbuildPlugin from '../../src/esbuild.ts'
import rolldownPlugin from '../../src/rolldown.ts'
import rollupPlugin from '../../src/rollup.ts'
import rspackPlugin from '../../src/rspack.ts'
import vitePlugin from '../../src/vite.ts'
import webpackPlugin from '../../src/webpack.ts'

/** A build of `<root>/main.js` into `<root>/dist` by one bundler; rejects with the bundler's error text. */
export type Build = (root: string, options?: Options) => Promise<void>

interface StatsLike {
  hasErrors(): boolean
  toJson(options: Record<string, unknown>): { errors?: Array<{ message: string }> }
}
interface CompilerLike {
  run(callback: (error: Error | null, stats?: StatsLike) => void): void
  close(callback: (error?: Error | null) => void): void
}
type CreateCompiler = (config: Record<string, unknown>) => CompilerLike

/** webpack and Rspack report errors in their stats, not by throwing: a failed build rejects here. */
async function compile(create: CreateCompiler, plugin: unknown, root: string, extra: Record<string, unknown> = {}): Promise<void> {
  const compiler = create({
    mode: 'production',
    context: root,
    entry: './main.js',
    output: { path: join(root, 'dist'), clean: true },
    infrastructureLogging: { level: 'error' },
    plugins: [plugin],
    ...extra,
  })
  try {
    await new Promise<void>((resolve, reject) => {
      compiler.run((error, stats) => {
        if (error || !stats) return reject(error ?? new Error('no stats'))
        if (stats.hasErrors()) return reject(new Error(stats.toJson({ all: false, errors: true }).errors!.map((e) => e.message).join('\n')))
        resolve()
      })
    })
  } finally {
    await new Promise<void>((resolve) => compiler.close(() => resolve()))
  }
}

/** Vite 8 (Rolldown inside) or Vite 7 (Rollup inside): an app build of main.js, no HTML. */
export async function viteBuild(root: string, options?: Options, vite: Promise<typeof import('vite')> = import('vite')): Promise<void> {
  const { build } = await vite
  await build({
    root,
    configFile: false,
    logLevel: 'silent',
    build: { modulePreload: false, rollupOptions: { input: join(root, 'main.js') } },
    plugins: [vitePlugin(options)],
  })
}

export const BUILDS: Record<Bundler, Build> = {
  vite: (root, options) => viteBuild(root, options),
  async rollup(root, options) {
    const { rollup } = await import('rollup')
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [rollupPlugin(options)], onLog: () => {} })
    try {
      await bundle.write({ dir: join(root, 'dist'), format: 'es' })
    } finally {
      await bundle.close()
    }
  },
  async rolldown(root, options) {
    const { rolldown } = await import('rolldown')
    const bundle = await rolldown({ input: join(root, 'main.js'), cwd: root, plugins: [rolldownPlugin(options)], onLog: () => {} })
    try {
      await bundle.write({ dir: 'dist', format: 'es' })
    } finally {
      await bundle.close()
    }
  },
  async esbuild(root, options) {
    const esbuild = await import('esbuild')
    await esbuild.build({ absWorkingDir: root, entryPoints: ['main.js'], bundle: true, format: 'iife', outdir: 'dist', loader: { '.wasm': 'file' }, logLevel: 'silent', plugins: [esbuildPlugin(options)] })
  },
  async webpack(root, options) {
    await compile((await import('webpack')).default as unknown as CreateCompiler, webpackPlugin(options), root)
  },
  async rspack(root, options) {
    await compile((await import('@rspack/core')).rspack as unknown as CreateCompiler, rspackPlugin(options), root)
  },
}

export const BUNDLERS = Object.keys(BUILDS) as Bundler[]

/** The one script a build wrote below `dist` (archives aside). */
export async function builtScript(root: string): Promise<string> {
  const dist = join(root, 'dist')
  const entries = await readdir(dist, { recursive: true, withFileTypes: true })
  const scripts = entries.filter((entry) => entry.isFile() && /\.m?js$/.test(entry.name)).map((entry) => join(entry.parentPath, entry.name))
  if (scripts.length !== 1) throw new Error(`expected one script in ${dist}, found ${scripts.map((path) => relative(dist, path)).join(', ') || 'none'}`)
  return scripts[0]!
}

/** Runs the built script in a fresh context and returns what it left on `globalThis.ociImages`. */
export async function runBuiltScript(root: string): Promise<Record<string, unknown>> {
  const sandbox: { ociImages?: Record<string, unknown> } = {}
  runInNewContext(await readFile(await builtScript(root), 'utf8'), sandbox)
  if (!sandbox.ociImages) throw new Error('the built script set no globalThis.ociImages')
  return sandbox.ociImages
}
