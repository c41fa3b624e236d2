import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { packImage } from '../../src/core/pack.ts'
import { makeTempDir } from '../helpers/tools.ts'
import { EditableArchive, writeEntries } from './archive-edit.ts'
import { wasmOci } from './cli.ts'
import { HELLO_WASM } from './wasm.ts'

const NAME = { name: 'hello', repo: 'example.com/demo', tag: 'v1', modules: [HELLO_WASM] }

/** Each breaks one claim of a good archive; `expected` are the lines `verify` must print for it. */
const BROKEN: Array<{ name: string; format: 'artifact' | 'compat'; edit: (archive: EditableArchive, out: string) => Promise<void>; expected: RegExp[] }> = [
  {
    name: 'a wrong layer digest (the layer bytes changed under their name)',
    format: 'artifact',
    async edit(archive, out) {
      const layer = archive.entry(archive.layerName())
      layer.bytes = Buffer.from(layer.bytes)
      layer.bytes[layer.bytes.length - 1]! ^= 0xff
      await writeEntries(out, archive.entries)
    },
    expected: [/layers\[0\]: blob blobs\/sha256\/\w+ hashes to sha256:\w+, not sha256:\w+/, /^entry "blobs\/sha256\/\w+": content hashes to sha256:\w+$/],
  },
  {
    name: 'a missing blob',
    format: 'artifact',
    async edit(archive, out) {
      archive.remove(archive.layerName())
      await writeEntries(out, archive.entries)
    },
    expected: [/layers\[0\]: blob blobs\/sha256\/\w+ is missing/, /^manifest\.json\[0\]: names "blobs\/sha256\/\w+", which is not in the archive$/],
  },
  {
    name: 'a wrong size',
    format: 'artifact',
    async edit(archive, out) {
      archive.manifest.layers[0].size += 1
      await archive.commit(out)
    },
    expected: [/layers\[0\]: size is 134 but blob blobs\/sha256\/\w+ has 133 bytes/],
  },
  {
    name: 'a wrong diff_id',
    format: 'compat',
    async edit(archive, out) {
      archive.config.rootfs.diff_ids[0] = `sha256:${createHash('sha256').update('something else').digest('hex')}`
      await archive.commit(out)
    },
    expected: [/config: rootfs\.diff_ids\[0\] is sha256:\w+, but layer 0 uncompresses to sha256:\w+/],
  },
  {
    name: 'a wrong manifest digest in index.json',
    format: 'compat',
    async edit(archive, out) {
      const digest: string = archive.index.manifests[0].digest
      archive.index.manifests[0].digest = `${digest.slice(0, -1)}${digest.endsWith('0') ? '1' : '0'}`
      archive.setJson('index.json', archive.index)
      await writeEntries(out, archive.entries)
    },
    expected: [/^index\.json manifests\[0\]: blob blobs\/sha256\/\w+ is missing$/],
  },
  {
    name: 'a manifest.json naming a missing file',
    format: 'compat',
    async edit(archive, out) {
      archive.setJson('manifest.json', [{ ...archive.json('manifest.json')[0], Layers: ['blobs/sha256/layer.tar'] }])
      await writeEntries(out, archive.entries)
    },
    expected: [/^manifest\.json\[0\]: names "blobs\/sha256\/layer\.tar", which is not in the archive$/],
  },
  {
    name: "a '../' entry name",
    format: 'compat',
    async edit(archive, out) {
      const template = archive.entry('oci-layout')
      archive.entries.push({ header: { ...template.header, name: '../escape.txt' }, bytes: Buffer.from('out of the tree\n') })
      await writeEntries(out, archive.entries)
    },
    expected: [/^entry "\.\.\/escape\.txt": contains '\.\.'$/],
  },
]

describe('wasm-oci verify', () => {
  let dir: string
  const good: Record<string, string> = {}
  beforeAll(async () => {
    dir = await makeTempDir('verify')
    for (const format of ['artifact', 'compat'] as const) {
      good[format] = join(dir, `${format}.tar`)
      await packImage({ ...NAME, format, output: good[format] })
    }
  })

  test('a sound archive: exit 0, one ok line', async () => {
    const result = await wasmOci(['verify', good.artifact!, good.compat!])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toBe(`${good.artifact}: ok (1 image, 3 blobs)\n${good.compat}: ok (1 image, 3 blobs)\n`)
  })

  for (const { name, format, edit, expected } of BROKEN) {
    test(`catches ${name}`, async () => {
      const out = join(dir, `${name.replace(/\W+/g, '-')}.tar`)
      await edit(await EditableArchive.open(good[format]!), out)
      const result = await wasmOci(['verify', out])
      expect(result.code).toBe(1)
      const lines = result.stdout.trimEnd().split('\n')
      for (const line of lines) expect(line.startsWith(`${out}: `)).toBe(true)
      const problems = lines.map((line) => line.slice(out.length + 2))
      for (const pattern of expected) expect(problems.some((problem) => pattern.test(problem)), `${pattern} in\n${problems.join('\n')}`).toBe(true)
      expect(problems).toHaveLength(expected.length)

      const json = await wasmOci(['verify', '--json', out])
      expect(json.code).toBe(1)
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, archives: [{ path: out, ok: false, problems }] })
    })
  }

  test('an archive that is not a tar: exit 1 with the reason', async () => {
    const notTar = join(dir, 'not-a.tar')
    await writeFile(notTar, 'plain text, not a tar\n')
    const result = await wasmOci(['verify', notTar])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^wasm-oci: (cannot read archive|.*missing)/)
  })
})
