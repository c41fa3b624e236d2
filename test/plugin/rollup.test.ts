import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { wasm } from '@rollup/plugin-wasm'
import { type RollupLog, type RollupWatcher, type RollupWatcherEvent, rollup, watch } from 'rollup'
import { describe, expect, it } from 'vitest'
import wasmOci from '../../src/rollup.ts'
import type { Options } from '../../src/plugin/types.ts'
import { emitWasm } from './emit-wasm.ts'
import { compileWat, createProject, emittedFile, expectArchives, expectReferenceBytes, listWasm } from './helpers.ts'

const TIMEOUT = { timeout: 60_000 }
const quiet = () => {}

function collectLogs() {
  const logs: Array<{ level: string; message: string }> = []
  const onLog = (level: string, log: RollupLog) => void logs.push({ level, message: log.message })
  return { logs, onLog }
}

describe('Rollup 4', () => {
  it('writes one archive per emitted module, as the core packs it, and reports each through onLog', TIMEOUT, async () => {
    const root = await createProject('imports')
    const { logs, onLog } = collectLogs()
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [emitWasm(), wasmOci()], onLog })
    await bundle.write({ dir: join(root, 'dist'), format: 'es' })
    await bundle.close()
    const files = await listWasm(join(root, 'dist'))
    await expectReferenceBytes(await expectArchives(join(root, 'dist'), { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') }))
    const infos = logs.filter((log) => log.level === 'info').map((log) => log.message)
    expect(infos).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\[plugin unplugin-wasm-oci\] wrote \S*dist\/oci\/hello\.tar: localhost\/hello:latest, /),
      expect.stringMatching(/^\[plugin unplugin-wasm-oci\] wrote \S*dist\/oci\/add\.tar: localhost\/add:latest, /),
    ]))
    expect(logs.filter((log) => log.level === 'warn')).toEqual([])
  })

  it('names @rollup/plugin-wasm\'s [hash16].wasm files after their source modules', TIMEOUT, async () => {
    const root = await createProject('imports')
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [wasm({ maxFileSize: 0, targetEnv: 'node' }), wasmOci()], onLog: quiet })
    await bundle.write({ dir: join(root, 'dist'), format: 'es' })
    await bundle.close()
    const files = await listWasm(join(root, 'dist'))
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.wasm$/), expect.stringMatching(/^[0-9a-f]{16}\.wasm$/)])
    const bySize = await Promise.all(files.map(async (file) => ({ file, size: (await stat(join(root, 'dist', file))).size })))
    bySize.sort((a, b) => a.size - b.size)
    await expectReferenceBytes(await expectArchives(join(root, 'dist'), { hello: bySize[0]!.file, add: bySize[1]!.file }))
  })

  it('warns when @rollup/plugin-wasm inlined every module', TIMEOUT, async () => {
    const root = await createProject('imports')
    const { logs, onLog } = collectLogs()
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [wasm({ maxFileSize: 1 << 20 }), wasmOci()], onLog })
    await bundle.write({ dir: join(root, 'dist'), format: 'es' })
    await bundle.close()
    const warnings = logs.filter((log) => log.level === 'warn').map((log) => log.message)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('no .wasm file was emitted into')
    expect(warnings[0]).toContain('@rollup/plugin-wasm inlines modules up to maxFileSize (14336 bytes) as base64: set maxFileSize: 0')
  })

  it('writes two outputs at once, to two directories and twice to one, without a race', TIMEOUT, async () => {
    const root = await createProject('imports')
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [emitWasm(), wasmOci()], onLog: quiet })
    await Promise.all([
      bundle.write({ dir: join(root, 'dist/es'), format: 'es' }),
      bundle.write({ dir: join(root, 'dist/cjs'), format: 'cjs' }),
      // Same directory, same assets: the same two archives, written one after the other.
      bundle.write({ dir: join(root, 'dist/both'), format: 'es', entryFileNames: '[name].mjs' }),
      bundle.write({ dir: join(root, 'dist/both'), format: 'cjs', entryFileNames: '[name].cjs' }),
    ])
    await bundle.close()
    for (const dir of ['dist/es', 'dist/cjs', 'dist/both']) {
      const files = await listWasm(join(root, dir))
      await expectReferenceBytes(await expectArchives(join(root, dir), { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') }))
    }
  })

  it('in watch mode rewrites only the archive whose module changed', { timeout: 90_000 }, async () => {
    const root = await createProject('imports')
    const { logs, onLog } = collectLogs()
    const watcher = watch({
      input: join(root, 'main.js'),
      plugins: [emitWasm(), wasmOci()],
      onLog,
      output: [{ dir: join(root, 'dist/es'), format: 'es' }, { dir: join(root, 'dist/cjs'), format: 'cjs' }],
      watch: { buildDelay: 50 },
    })
    try {
      await nextBuild(watcher)
      const dirs = ['dist/es', 'dist/cjs'].map((dir) => join(root, dir))
      const check = async (dir: string) => {
        const files = await listWasm(dir)
        return expectArchives(dir, { hello: emittedFile(files, 'hello'), add: emittedFile(files, 'add') })
      }
      const first = await Promise.all(dirs.map(check))

      // A rebuild with the same modules: no archive is touched.
      logs.length = 0
      await appendFile(join(root, 'main.js'), '\n// touched\n')
      await nextBuild(watcher)
      const second = await Promise.all(dirs.map(check))
      for (const [i, archives] of second.entries()) {
        for (const name of ['hello', 'add']) {
          expect(archives[name]!.ino).toBe(first[i]![name]!.ino)
          expect(archives[name]!.mtimeMs).toBe(first[i]![name]!.mtimeMs)
        }
      }
      expect(logs.filter((log) => /\bunchanged \S+\.tar/.test(log.message))).toHaveLength(4)

      // add.wasm changes: its archives are rewritten with the new bytes, hello's are not.
      // Rollup never empties its output directories: drop the old file, so only the new one is there.
      for (const dir of dirs) for (const file of await listWasm(dir)) if (file.includes('add-')) await rm(join(dir, file))
      const addWat = (await readFile(new URL('../fixtures/plugin/add.wat', import.meta.url), 'utf8')).replace('add: padding', 'add: changed padding')
      await writeFile(join(root, 'add.wasm'), await compileWat('add', addWat))
      await nextBuild(watcher)
      const third = await Promise.all(dirs.map(check))
      for (const [i, archives] of third.entries()) {
        expect(archives.hello!.ino).toBe(first[i]!.hello!.ino)
        expect(archives.add!.digest).not.toBe(first[i]!.add!.digest)
      }
    } finally {
      await watcher.close()
    }
  })

  it('fails the build when a module cannot be packed, naming the plugin and the module', TIMEOUT, async () => {
    const root = await createProject('imports')
    const options: Options = { name: () => 'Bad Name' }
    const bundle = await rollup({ input: join(root, 'main.js'), plugins: [emitWasm(), wasmOci(options)], onLog: quiet })
    const error: Error = await bundle.write({ dir: join(root, 'dist'), format: 'es' }).then(() => new Error('built'), (e: Error) => e)
    expect(error.message).toMatch(/^unplugin-wasm-oci: assets\/\w+-[\w-]{8}\.wasm and assets\/\w+-[\w-]{8}\.wasm in \S+ would both be packed as image "Bad Name" into \S+\/oci\/Bad Name\.tar: give a name option that tells them apart/)
    const single = await rollup({ input: join(root, 'main.js'), plugins: [emitWasm(), wasmOci({ name: ({ defaultName }) => (defaultName === 'add' ? 'Bad Name' : undefined) })], onLog: quiet })
    await expect(single.write({ dir: join(root, 'dist'), format: 'es' })).rejects.toThrow(
      /unplugin-wasm-oci: cannot pack \S*dist\/assets\/add-[\w-]{8}\.wasm \(rollup output\) into \S*Bad Name\.tar: image name "Bad Name" is not a valid repository name/,
    )
  })
})

/** Resolves at the watcher's next END (closing each bundle), rejects at an ERROR. */
function nextBuild(watcher: RollupWatcher): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = (event: RollupWatcherEvent) => {
      if (event.code === 'BUNDLE_END') void event.result.close()
      if (event.code === 'ERROR') {
        void event.result?.close()
        watcher.off('event', onEvent)
        reject(event.error)
      }
      if (event.code === 'END') {
        watcher.off('event', onEvent)
        resolve()
      }
    }
    watcher.on('event', onEvent)
  })
}
