import { join } from 'node:path'
import { type RolldownLog, rolldown } from 'rolldown'
import { describe, expect, it } from 'vitest'
import type { Options, WasmAsset } from '../../src/plugin/types.ts'
import wasmOci from '../../src/rolldown.ts'
import { createProject, emittedFile, expectArchives, expectReferenceBytes, listWasm } from './helpers.ts'

describe('Rolldown 1', () => {
  async function build(root: string, outDir = 'dist', options?: Options) {
    const logs: Array<{ level: string; message: string }> = []
    const bundle = await rolldown({
      input: join(root, 'main.js'),
      cwd: root,
      moduleTypes: { '.wasm': 'asset' },
      plugins: [wasmOci(options)],
      onLog: (level: string, log: RolldownLog) => void logs.push({ level, message: log.message }),
    })
    // Relative to Rolldown's cwd, not the process's.
    await bundle.write({ dir: outDir, format: 'es' })
    await bundle.close()
    return logs
  }

  it('writes one archive per emitted module (moduleTypes .wasm: asset), as the core packs it', { timeout: 60_000 }, async () => {
    const root = await createProject('imports')
    const logs = await build(root)
    const dist = join(root, 'dist')
    const files = await listWasm(dist)
    const first = await expectArchives(dist, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') })
    await expectReferenceBytes(first)
    expect(logs.filter((log) => log.level === 'info').map((log) => log.message).sort()).toEqual([
      expect.stringMatching(/^wrote \S*dist\/oci\/add\.tar: localhost\/add:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}$/),
      expect.stringMatching(/^wrote \S*dist\/oci\/hello\.tar: localhost\/hello:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}$/),
    ])

    // A second build over the same output: same bytes, archives left untouched.
    const again = await build(root)
    const second = await expectArchives(dist, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') })
    for (const name of ['hello', 'add']) expect(second[name]).toEqual(first[name])
    expect(again.filter((log) => log.message.startsWith('unchanged '))).toHaveLength(2)
  })

  it('hands the name option each module with its source path resolved against cwd', { timeout: 60_000 }, async () => {
    const root = await createProject('imports')
    const seen: WasmAsset[] = []
    await build(root, 'out', {
      name: (module) => {
        seen.push(module)
        return module.defaultName === 'add' ? 'sum' : undefined
      },
    })
    const files = await listWasm(join(root, 'out'))
    await expectArchives(join(root, 'out'), { hello: emittedFile(files, 'hello'), sum: emittedFile(files, 'add') })
    expect(seen.sort((a, b) => a.defaultName.localeCompare(b.defaultName))).toEqual([
      { fileName: emittedFile(files, 'add'), source: join(root, 'add.wasm'), outputDir: join(root, 'out'), defaultName: 'add', bundler: 'rolldown' },
      { fileName: emittedFile(files, 'hello'), source: join(root, 'hello.wasm'), outputDir: join(root, 'out'), defaultName: 'hello', bundler: 'rolldown' },
    ])
  })

  it('warns when new URL() left the modules alone', { timeout: 60_000 }, async () => {
    const root = await createProject('app')
    const bundle = await rolldown({ input: join(root, 'main.js'), cwd: root, plugins: [wasmOci()], onLog: (level: string, log: RolldownLog) => void (level === 'warn' && warnings.push(log.message)) })
    const warnings: string[] = []
    await bundle.write({ dir: join(root, 'dist'), format: 'es' })
    await bundle.close()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^unplugin-wasm-oci: no \.wasm file was emitted into \S+dist, so no OCI archive was written/)
    expect(warnings[0]).toContain("import the module and set moduleTypes: { '.wasm': 'asset' }")
  })
})
