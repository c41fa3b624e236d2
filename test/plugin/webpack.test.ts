import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import rspackPlugin from '../../src/rspack.ts'
import webpackPlugin from '../../src/webpack.ts'
import type { Options, WasmAsset } from '../../src/plugin/types.ts'
import { createProject, expectArchives, expectReferenceBytes, listWasm } from './helpers.ts'

const TIMEOUT = { timeout: 60_000 }

interface StatsLike {
  hasErrors(): boolean
  toJson(options: Record<string, unknown>): {
    errors?: Array<{ message: string }>
    warnings?: Array<{ message: string }>
    logging?: Record<string, { entries: Array<{ type: string; message: string }> }>
  }
}
interface CompilerLike {
  run(callback: (error: Error | null, stats?: StatsLike) => void): void
  close(callback: (error?: Error | null) => void): void
}
type CreateCompiler = (config: Record<string, unknown>) => CompilerLike

const BUNDLERS: Array<[string, () => Promise<CreateCompiler>, (options?: Options) => unknown]> = [
  ['webpack 5', async () => (await import('webpack')).default as unknown as CreateCompiler, webpackPlugin],
  ['Rspack 2', async () => (await import('@rspack/core')).rspack as unknown as CreateCompiler, rspackPlugin],
]

describe.each(BUNDLERS)('%s', (_label, loadBundler, plugin) => {
  async function createCompiler(root: string, options?: Options, extra: Record<string, unknown> = {}) {
    const create = await loadBundler()
    return create({
      mode: 'production',
      context: root,
      entry: './main.js',
      output: { path: join(root, 'dist'), clean: true },
      experiments: { asyncWebAssembly: true },
      infrastructureLogging: { level: 'error' },
      plugins: [plugin(options)],
      ...extra,
    })
  }

  function run(compiler: CompilerLike) {
    return new Promise<ReturnType<StatsLike['toJson']> & { failed: boolean }>((resolve, reject) => {
      compiler.run((error, stats) => {
        if (error || !stats) reject(error ?? new Error('no stats'))
        else resolve({ ...stats.toJson({ all: false, errors: true, warnings: true, logging: 'info' }), failed: stats.hasErrors() })
      })
    })
  }

  function close(compiler: CompilerLike) {
    return new Promise<void>((resolve) => compiler.close(() => resolve()))
  }

  /** `[hash].wasm` is hello (asset/resource from new URL), `[hash].module.wasm` is add (async wasm). */
  async function emitted(dist: string) {
    const files = await listWasm(dist)
    expect(files).toHaveLength(2)
    return { hello: files.find((file) => !file.endsWith('.module.wasm'))!, add: files.find((file) => file.endsWith('.module.wasm'))! }
  }

  it('writes one archive per emitted module, named after its source, every build, as the core packs it', TIMEOUT, async () => {
    const root = await createProject('webpack')
    const dist = join(root, 'dist')
    const seen: WasmAsset[] = []
    const compiler = await createCompiler(root, {
      name: (module) => {
        seen.push(module)
        return undefined
      },
    })
    try {
      const first = await run(compiler)
      // hello from the asset's sourceFilename, add (async wasm) from the module graph.
      expect(seen.map((module) => [module.defaultName, module.source]).sort()).toEqual([['add', join(root, 'add.wasm')], ['hello', join(root, 'hello.wasm')]])
      expect(first.failed).toBe(false)
      expect(first.warnings).toEqual([])
      const archives = await expectArchives(dist, await emitted(dist))
      await expectReferenceBytes(archives)
      const lines = first.logging?.['unplugin-wasm-oci']?.entries.map((entry) => entry.message).sort()
      expect(lines).toEqual([
        expect.stringMatching(/^wrote \S*dist\/oci\/add\.tar: localhost\/add:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}$/),
        expect.stringMatching(/^wrote \S*dist\/oci\/hello\.tar: localhost\/hello:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}$/),
      ])

      // output.clean may remove the archives before the next emit: they are there again, same bytes.
      const second = await run(compiler)
      expect(second.failed).toBe(false)
      const again = await expectArchives(dist, await emitted(dist))
      for (const name of ['hello', 'add']) expect(again[name]!.digest).toBe(archives[name]!.digest)
    } finally {
      await close(compiler)
    }
  })

  it("warns when type: 'asset' inlined the modules", TIMEOUT, async () => {
    const root = await createProject('app')
    const compiler = await createCompiler(root, undefined, { module: { rules: [{ test: /\.wasm$/, type: 'asset' }] } })
    try {
      const stats = await run(compiler)
      expect(stats.failed).toBe(false)
      expect(await listWasm(join(root, 'dist'))).toEqual([])
      const warnings = (stats.warnings ?? []).map((warning) => warning.message).filter((message) => message.includes('unplugin-wasm-oci'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/unplugin-wasm-oci: no \.wasm file was emitted into \S*dist, so no OCI archive was written/)
      expect(warnings[0]).toContain("a rule with type: 'asset' inlines files below parser.dataUrlCondition.maxSize (8096 bytes): use type: 'asset/resource' for .wasm")
    } finally {
      await close(compiler)
    }
  })

  it('fails the build when a module cannot be packed, naming the plugin and the module', TIMEOUT, async () => {
    const root = await createProject('webpack')
    const compiler = await createCompiler(root, { name: ({ defaultName }) => (defaultName === 'add' ? 'ADD' : undefined) })
    try {
      const stats = await run(compiler)
      expect(stats.failed).toBe(true)
      expect(stats.errors).toHaveLength(1)
      expect(stats.errors![0]!.message).toMatch(/unplugin-wasm-oci: cannot pack \S*dist\/[0-9a-f]+\.module\.wasm \((webpack|rspack) output\) into \S*ADD\.tar: image name "ADD" is not a valid repository name/)
    } finally {
      await close(compiler)
    }
  })
})
