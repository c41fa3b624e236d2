import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { planImage } from '../../src/core/formats/index.ts'
import { writeArchive } from '../../src/core/pack.ts'
import { makeTempDir, runOk } from '../helpers/tools.ts'
import { readEntries, writeEntries } from './archive-edit.ts'
import { buildArchive as build, wasmOci } from './cli.ts'
import { buildComponent, compileWat, HELLO_WASM } from './wasm.ts'

const FORMATS = ['runwasi', 'artifact', 'compat'] as const
const REF = 'example.com/demo/hello:v1'

let dir: string
const fixtures: Record<string, string> = {}
beforeAll(async () => {
  dir = await makeTempDir('run')
  for (const name of ['exit3', 'echo', 'cat', 'reactor', 'browser']) fixtures[name] = await compileWat(name, dir)
  fixtures.component = await buildComponent('cli-command', dir)
})

describe('run', () => {
  for (const format of FORMATS) {
    test(`prints hello from a ${format} archive`, async () => {
      const out = await build([HELLO_WASM, '-f', format, '--ref', REF], join(dir, `run-${format}.tar`))
      expect(await wasmOci(['run', out])).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' })
    })
  }

  test('passes the module\'s exit code through', async () => {
    const out = await build([fixtures.exit3!, '-f', 'compat', '--compression', 'gzip', '--ref', REF], join(dir, 'run-exit3.tar'))
    expect(await wasmOci(['run', out])).toMatchObject({ code: 3, stdout: '', stderr: '' })
  })

  test('gives the module the arguments after --, the --env variables and nothing of the host\'s environment', async () => {
    const out = await build([fixtures.echo!, '--ref', 'example.com/demo/echo:v1'], join(dir, 'run-echo.tar'))
    const result = await wasmOci(['run', out, '--env', 'GREETING=hi there', '-e', 'EMPTY=', '--', 'one two', '--flag'], { env: { SECRET: 'host only' } })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toBe('echo.wasm\none two\n--flag\nGREETING=hi there\nEMPTY=\n')
  })

  test('--dir preopens a host directory; without it the module cannot open the file', async () => {
    const data = join(dir, 'data')
    await mkdir(data, { recursive: true })
    await writeFile(join(data, 'greeting.txt'), 'from the host\n')
    const out = await build([fixtures.cat!, '-f', 'artifact', '--ref', 'example.com/demo/cat:v1'], join(dir, 'run-cat.tar'))
    expect(await wasmOci(['run', out, '--dir', `${data}:/data`])).toMatchObject({ code: 0, stdout: 'from the host\n' })
    const denied = await wasmOci(['run', out])
    expect(denied.code).not.toBe(0)
    expect(denied.stdout).toBe('')
    const missing = await wasmOci(['run', out, '--dir', join(dir, 'nowhere')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/nowhere" .*is not a directory/)
  })

  test('a component, a reactor and a module with foreign imports get an error naming what they need', async () => {
    const cases: Array<[string, RegExp]> = [
      [fixtures.component!, /is a WebAssembly component \(wasip2\); node:wasi runs only wasip1 core modules: run it with `wasmtime run`/],
      [fixtures.reactor!, /exports no _start function \(it exports _initialize: a WASI reactor\)/],
      [fixtures.browser!, /imports env\.log, which WASI preview 1 does not provide/],
    ]
    for (const [module, message] of cases) {
      const out = await build([module, '-f', 'artifact', '--ref', REF], join(dir, 'run-refused.tar'))
      const result = await wasmOci(['run', out])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^wasm-oci: [^\n]+\n$/)
      expect(result.stderr).toMatch(message)
    }
  })

  test('an archive that stores the layers before index.json (another tool\'s order) still runs', async () => {
    const out = await build([HELLO_WASM, '-f', 'compat', '--ref', REF], join(dir, 'run-reordered.tar'))
    const entries = await readEntries(out)
    const rank = (name: string) => (name.startsWith('blobs/sha256/') ? 0 : 1)
    await writeEntries(out, [...entries].reverse().sort((a, b) => rank(a.header.name) - rank(b.header.name)))
    expect((await readEntries(out))[0]!.header.name).toMatch(/^blobs\/sha256\//)
    expect(await wasmOci(['run', out])).toMatchObject({ code: 0, stdout: 'hello\n' })
  })

  test('an archive written by the system tar (`./` names, name order) runs too', async () => {
    const out = await build([HELLO_WASM, '-f', 'artifact', '--ref', REF], join(dir, 'run-system-tar.tar'))
    const layout = join(dir, 'system-tar-layout')
    await mkdir(layout, { recursive: true })
    await runOk('tar', ['-xf', out, '-C', layout])
    const retarred = join(dir, 'run-system-tar-2.tar')
    await runOk('tar', ['--sort=name', '-cf', retarred, '-C', layout, '.'])
    expect((await readEntries(retarred)).map((entry) => entry.header.name)).toContain('./index.json')
    expect(await wasmOci(['run', retarred])).toMatchObject({ code: 0, stdout: 'hello\n' })
  })

  test('an archive with several images needs --ref, by reference or tag', async () => {
    const out = join(dir, 'run-two.tar')
    const plans = await Promise.all([
      planImage({ name: 'hello', repo: 'example.com/demo', tag: 'v1', modules: [HELLO_WASM], sourceDateEpoch: 0 }),
      planImage({ name: 'exit3', repo: 'example.com/demo', tag: 'v3', modules: [fixtures.exit3!], sourceDateEpoch: 0 }),
    ])
    await writeArchive(plans, { output: out })
    const ambiguous = await wasmOci(['run', out])
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toMatch(/holds 2 images \(example\.com\/demo\/hello:v1, example\.com\/demo\/exit3:v3\): choose one with --ref/)
    expect(await wasmOci(['run', out, '--ref', 'example.com/demo/hello:v1'])).toMatchObject({ code: 0, stdout: 'hello\n' })
    expect((await wasmOci(['run', out, '--ref', 'v3'])).code).toBe(3)
    expect((await wasmOci(['run', out, '--ref', 'v9'])).stderr).toMatch(/holds no image named "v9"/)
  })

  test('a corrupted layer is refused before it runs', async () => {
    const out = await build([HELLO_WASM, '-f', 'artifact', '--ref', REF], join(dir, 'run-corrupt.tar'))
    const entries = await readEntries(out)
    const layer = entries.find((entry) => entry.header.size === 133)!
    layer.bytes = Buffer.from(layer.bytes)
    layer.bytes[120]! ^= 0x01
    await writeEntries(out, entries)
    const result = await wasmOci(['run', out])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/the archive is corrupt: run `wasm-oci verify/)
  })
})
