import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import * as esbuild from 'esbuild'
import { describe, expect, it, vi } from 'vitest'
import wasmOci from '../../src/esbuild.ts'
import type { Options } from '../../src/plugin/types.ts'
import { createProject, emittedFile, expectArchives, expectReferenceBytes, listWasm } from './helpers.ts'

const TIMEOUT = { timeout: 60_000 }

function build(root: string, options?: Options, extra: esbuild.BuildOptions = {}) {
  return esbuild.build({
    absWorkingDir: root,
    entryPoints: ['main.js'],
    bundle: true,
    format: 'esm',
    outdir: 'dist',
    loader: { '.wasm': 'file' },
    logLevel: 'silent',
    plugins: [wasmOci(options)],
    ...extra,
  })
}

describe('esbuild', () => {
  it('writes one archive per emitted module (loader .wasm: file), as the core packs it', TIMEOUT, async () => {
    const root = await createProject('imports')
    const result = await build(root)
    expect(result.warnings).toEqual([])
    const dist = join(root, 'dist')
    const files = await listWasm(dist)
    await expectReferenceBytes(await expectArchives(dist, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') }))
  })

  it('with write: false packs the bytes from outputFiles, through a temporary copy it removes', TIMEOUT, async () => {
    const root = await createProject('imports')
    const tempCopies = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('unplugin-wasm-oci-'))
    const before = await tempCopies()
    const result = await build(root, undefined, { write: false })
    const dist = join(root, 'dist')
    // Nothing but the archives is on disk, and no temporary copy is left.
    expect(await readdir(dist)).toEqual(['oci'])
    expect((await tempCopies()).filter((name) => !before.includes(name))).toEqual([])
    // The layers are the bytes esbuild returned.
    const emitted = join(root, 'emitted')
    await mkdir(emitted)
    const wasm = result.outputFiles!.filter((file) => file.path.endsWith('.wasm'))
    for (const file of wasm) await writeFile(join(emitted, basename(file.path)), file.contents)
    const files = await listWasm(emitted)
    await expectReferenceBytes(await expectArchives(emitted, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') }, { ociDir: join(dist, 'oci') }))
  })

  it('packs only what include and exclude select, by emitted name or source path', TIMEOUT, async () => {
    const root = await createProject('imports')
    await build(root, { include: ['*.wasm'], exclude: 'hello.wasm' })
    const files = await listWasm(join(root, 'dist'))
    await expectArchives(join(root, 'dist'), { add: emittedFile(files, 'add') })
    const other = await createProject('imports')
    const result = await build(other, { include: /\/nothing\// })
    expect(result.warnings[0]!.text).toMatch(/the include\/exclude options left none of the 2 \.wasm file\(s\) emitted into \S+dist, so no OCI archive was written: check those options/)
  })

  it('prints one line per archive at logLevel info', TIMEOUT, async () => {
    const root = await createProject('imports')
    const lines: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    })
    try {
      await build(root, undefined, { logLevel: 'info' })
    } finally {
      spy.mockRestore()
    }
    expect(lines.filter((line) => line.startsWith('[unplugin-wasm-oci] ')).sort()).toEqual([
      expect.stringMatching(/^\[unplugin-wasm-oci\] wrote \S*dist\/oci\/add\.tar: localhost\/add:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}\n$/),
      expect.stringMatching(/^\[unplugin-wasm-oci\] wrote \S*dist\/oci\/hello\.tar: localhost\/hello:latest, [\d.]+ kB, manifest sha256:[0-9a-f]{64}\n$/),
    ])
  })

  it('returns the no-wasm warning in the result when new URL() was left alone', TIMEOUT, async () => {
    const root = await createProject('app')
    const result = await build(root)
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]!.pluginName).toBe('unplugin-wasm-oci')
    expect(result.warnings[0]!.text).toContain("import the module with loader: { '.wasm': 'file' }")
  })

  it('fails the build when a module cannot be packed, naming the plugin and the module', TIMEOUT, async () => {
    const root = await createProject('imports')
    const error = (await build(root, { name: ({ defaultName }) => (defaultName === 'hello' ? 'Hello!' : undefined) }).catch((e: unknown) => e)) as esbuild.BuildFailure
    expect(error.errors).toHaveLength(1)
    expect(error.errors[0]!.pluginName).toBe('unplugin-wasm-oci')
    expect(error.errors[0]!.text).toMatch(/^unplugin-wasm-oci: cannot pack \S*dist\/hello-[A-Z0-9]{8}\.wasm \(esbuild output\) into \S*Hello!\.tar: image name "Hello!" is not a valid repository name/)
  })
})
