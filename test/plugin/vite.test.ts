import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import wasmOci from '../../src/vite.ts'
import type { Options } from '../../src/plugin/types.ts'
import { emitWasm } from './emit-wasm.ts'
import { createProject, emittedFile, expectArchives, expectReferenceBytes, listWasm } from './helpers.ts'
import { captureViteLogger, summaryLines } from './vite-logger.ts'

type Vite = typeof import('vite')

/** Emit every .wasm, however small; leave other assets to the default limit. */
const EMIT_WASM = (file: string) => (file.endsWith('.wasm') ? false : undefined)

const VITES: Array<[string, () => Promise<Vite>]> = [
  ['Vite 8', () => import('vite')],
  ['Vite 7', () => import('vite7') as unknown as Promise<Vite>],
]

describe.each(VITES)('%s', (_label, loadVite) => {
  async function buildApp(root: string, options?: Options, build: Record<string, unknown> = {}) {
    const vite = await loadVite()
    const captured = captureViteLogger()
    await vite.build({
      root,
      configFile: false,
      logLevel: 'info',
      customLogger: captured.logger,
      build: { assetsInlineLimit: EMIT_WASM, ...build },
      plugins: [wasmOci(options)],
    })
    return captured
  }

  it('writes one archive per emitted module, with its bytes, the same on a second build and as the core packs them', { timeout: 60_000 }, async () => {
    const root = await createProject('app')
    const dist = join(root, 'dist')
    const { infos, warnings } = await buildApp(root)
    const files = await listWasm(dist)
    const first = await expectArchives(dist, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') })
    await expectReferenceBytes(first)
    expect(warnings).toEqual([])
    const lines = summaryLines(infos)
    expect(lines).toHaveLength(2)
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/wrote \S*dist\/oci\/hello\.tar: localhost\/hello:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}$/),
      expect.stringMatching(/wrote \S*dist\/oci\/add\.tar: localhost\/add:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}$/),
    ]))

    // Vite empties dist first, so the second build writes again: same bytes.
    await buildApp(root)
    const second = await expectArchives(dist, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') })
    for (const name of ['hello', 'add']) expect(second[name]!.digest).toBe(first[name]!.digest)
  })

  it('packs only the modules Vite emits: under the default assetsInlineLimit the small one is inlined', { timeout: 60_000 }, async () => {
    const root = await createProject('app')
    const dist = join(root, 'dist')
    await buildApp(root, undefined, { assetsInlineLimit: 4096 })
    const files = await listWasm(dist)
    expect(files).toEqual([emittedFile(files, 'add')])
    await expectArchives(dist, { add: files[0]! })
  })

  it('warns in library mode, which inlines every asset, naming the causes and fixes', { timeout: 60_000 }, async () => {
    const root = await createProject('app')
    const { warnings } = await buildApp(root, undefined, { lib: { entry: 'main.js', formats: ['es', 'cjs'], fileName: 'lib' } })
    expect(await listWasm(join(root, 'dist'))).toEqual([])
    const ours = warnings.filter((line) => line.includes('unplugin-wasm-oci'))
    // One warning for the output directory, not one per format.
    expect(ours).toHaveLength(1)
    expect(ours[0]).toMatch(/unplugin-wasm-oci: no \.wasm file was emitted into \S*dist, so no OCI archive was written/)
    expect(ours[0]).toContain('build.assetsInlineLimit')
    expect(ours[0]).toContain('Vite library mode (build.lib) inlines every asset')
    expect(ours[0]).toContain('build.ssrEmitAssets')
    expect(ours[0]).toContain("onNoWasm: 'ignore'")
  })

  it('in library mode with several formats, packs what a plugin emits once per module, with no race between formats', { timeout: 60_000 }, async () => {
    const vite = await loadVite()
    const root = await createProject('imports')
    const captured = captureViteLogger()
    await vite.build({
      root,
      configFile: false,
      logLevel: 'info',
      customLogger: captured.logger,
      build: { lib: { entry: 'main.js', formats: ['es', 'cjs', 'umd'], name: 'demo', fileName: 'lib' } },
      plugins: [{ ...emitWasm(), enforce: 'pre' } as never, wasmOci()],
    })
    const dist = join(root, 'dist')
    // Library mode names assets [name][extname].
    expect(await listWasm(dist)).toEqual(['add.wasm', 'hello.wasm'])
    await expectReferenceBytes(await expectArchives(dist, { hello: 'hello.wasm', add: 'add.wasm' }))
    // Three formats write the same two modules: one archive each, written once, then left alone.
    const lines = summaryLines(captured.infos)
    expect(lines).toHaveLength(6)
    expect(lines.filter((line) => line.includes('wrote '))).toHaveLength(2)
    expect(captured.warnings).toEqual([])
  })

  it('fails a library-mode build with onNoWasm: error', { timeout: 60_000 }, async () => {
    const root = await createProject('app')
    await expect(buildApp(root, { onNoWasm: 'error' }, { lib: { entry: 'main.js', formats: ['es'], fileName: 'lib' } }))
      .rejects.toThrow(/unplugin-wasm-oci: no \.wasm file was emitted into \S*dist, so no OCI archive was written/)
  })

  it('builds the client and ssr environments with one plugin object, each into its own directory', { timeout: 60_000 }, async () => {
    const vite = await loadVite()
    const root = await createProject('app')
    const captured = captureViteLogger()
    const builder = await vite.createBuilder({
      root,
      configFile: false,
      logLevel: 'info',
      customLogger: captured.logger,
      build: { assetsInlineLimit: EMIT_WASM },
      environments: {
        client: { build: { outDir: 'dist/client' } },
        ssr: { build: { outDir: 'dist/server', ssr: 'server.js', emitAssets: true } },
      },
      plugins: [wasmOci()],
    })
    await builder.buildApp()
    for (const dir of ['dist/client', 'dist/server']) {
      const outputDir = join(root, dir)
      const files = await listWasm(outputDir)
      await expectReferenceBytes(await expectArchives(outputDir, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') }))
    }
    expect(summaryLines(captured.infos)).toHaveLength(4)
  })

  it('fails the build for an invalid tag, naming the option and the fix', async () => {
    const root = await createProject('app')
    await expect(buildApp(root, { tag: 'Not a tag' }))
      .rejects.toThrow(`unplugin-wasm-oci: tag option "Not a tag" is not a valid tag: use at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`)
  })

  it('fails the build when a module cannot be packed, naming the plugin and the module', { timeout: 60_000 }, async () => {
    const root = await createProject('app')
    const error = await buildApp(root, { name: ({ defaultName }) => (defaultName === 'add' ? 'Add Module' : undefined) }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/unplugin-wasm-oci: cannot pack \S*dist\/assets\/add-[\w-]{8}\.wasm \(vite output\) into \S*Add Module\.tar: image name "Add Module" is not a valid repository name/)
  })
})
