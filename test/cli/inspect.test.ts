import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { makeTempDir } from '../helpers/tools.ts'
import { readEntries, writeEntries } from './archive-edit.ts'
import { buildArchive as build, wasmOci } from './cli.ts'
import { buildComponent, HELLO_WASM } from './wasm.ts'

const REF = 'example.com/demo/hello:v1'

let dir: string
let component: string
beforeAll(async () => {
  dir = await makeTempDir('inspect')
  component = await buildComponent('cli-command', dir)
})

describe('inspect', () => {
  test('a compat archive: platform, config, the layer\'s files and the module\'s imports', async () => {
    const out = await build([HELLO_WASM, '-f', 'compat', '--ref', REF], join(dir, 'inspect-compat.tar'))
    const json = JSON.parse((await wasmOci(['inspect', '--json', out])).stdout)
    expect(json).toMatchObject({ path: out, problems: [], images: [{ reference: REF, refName: 'v1', platform: { os: 'wasi', architecture: 'wasm' } }] })
    expect(json.images[0].layers).toMatchObject([{
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      kind: 'tar',
      files: [{ name: 'hello.wasm', size: 133, mode: 0o755, wasm: { kind: 'module', imports: ['wasi_snapshot_preview1.fd_write'], exports: ['memory', '_start'] } }],
    }])
    const text = await wasmOci(['inspect', out])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`\n${REF}\n`)
    expect(text.stdout).toMatch(/^ {2}platform +wasi\/wasm$/m)
    expect(text.stdout).toMatch(/^ {4}hello\.wasm +133 B, mode 0755, core module$/m)
    expect(text.stdout).toMatch(/^ {6}imports +wasi_snapshot_preview1\.fd_write$/m)
  })

  test('a component artifact: kind component with its world', async () => {
    const out = await build([component, '-f', 'artifact', '--ref', REF], join(dir, 'inspect-component.tar'))
    const json = JSON.parse((await wasmOci(['inspect', '--json', out])).stdout)
    expect(json.images[0].configJson.os).toBe('wasip2')
    expect(json.images[0].layers[0]).toMatchObject({ kind: 'component', wasm: { kind: 'component', exports: ['wasi:cli/run@0.2.0'] } })
    expect(json.images[0].layers[0].wasm.imports).toContain('wasi:cli/stdout@0.2.3')
    expect((await wasmOci(['inspect', out])).stdout).toMatch(/^ {4}exports +wasi:cli\/run@0\.2\.0$/m)
  })

  test('a broken archive is still described, with its problems', async () => {
    const out = await build([HELLO_WASM, '-f', 'compat', '--ref', REF], join(dir, 'inspect-broken.tar'))
    const entries = (await readEntries(out)).filter((entry) => entry.header.name !== 'manifest.json' || (entry.bytes = Buffer.from('[{"Config":"nope"}]')))
    await writeEntries(out, entries)
    const result = await wasmOci(['inspect', out])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/1 problem \(wasm-oci verify\):\n {2}manifest\.json\[0\]: names "nope"/)
  })
})

