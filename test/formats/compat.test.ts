import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { extract } from 'tar-stream'
import { beforeAll, describe, expect, test } from 'vitest'
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_TAR, MEDIA_TYPE_OCI_LAYER_TAR_GZIP } from '../../src/core/constants.ts'
import { planImage } from '../../src/core/formats/index.ts'
import { packImage } from '../../src/core/pack.ts'
import type { Blob, ImagePlan } from '../../src/core/plan.ts'
import { openContent } from '../../src/core/tar.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import { HELLO_WASM } from '../cli/wasm.ts'
import { makeTempDir } from '../helpers/tools.ts'

const NAME = { name: 'hello', repo: 'example.com/demo', tag: 'v1' }

async function blobBytes(blob: Blob): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of openContent(blob.content)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

async function tarEntries(tar: Uint8Array) {
  const entries: Array<{ header: import('tar-stream').Header; bytes: Buffer }> = []
  const reader = extract()
  const done = (async () => {
    for await (const entry of reader) {
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      entries.push({ header: entry.header, bytes: Buffer.concat(chunks) })
    }
  })()
  reader.end(tar)
  await done
  return entries
}

function plan(extra: Partial<Parameters<typeof planImage>[0]> = {}): Promise<ImagePlan> {
  return planImage({ ...NAME, format: 'compat', modules: [HELLO_WASM], sourceDateEpoch: 1_700_000_000, ...extra })
}

describe('compat format', () => {
  let dir: string
  beforeAll(async () => {
    dir = await makeTempDir('compat')
  })

  test('config bytes: wasi/wasm, absolute entrypoint, the layer tar as diff_id', async () => {
    const image = await plan({ sourceDateEpoch: 0 })
    const layer = image.layers[0]!
    expect(image.config.descriptor.mediaType).toBe(MEDIA_TYPE_OCI_CONFIG)
    if (image.config.content.kind !== 'bytes') throw new Error('config is not bytes')
    expect(new TextDecoder().decode(image.config.content.bytes)).toBe(
      `{"created":"1970-01-01T00:00:00Z","architecture":"wasm","os":"wasi","config":{"Entrypoint":["/hello.wasm"]},"rootfs":{"type":"layers","diff_ids":["${layer.descriptor.digest}"]}}`,
    )
    expect(image.platform).toEqual({ architecture: 'wasm', os: 'wasi' })
  })

  test('the layer is one executable regular file NAME.wasm at the root, streamed, and its descriptor matches its bytes', async () => {
    const image = await plan()
    const layer = image.layers[0]!
    expect(layer.content.kind).toBe('stream')
    expect(layer.descriptor.mediaType).toBe(MEDIA_TYPE_OCI_LAYER_TAR)
    const tar = await blobBytes(layer)
    expect(layer.descriptor).toMatchObject({ digest: sha256(tar), size: tar.length })
    const entries = await tarEntries(tar)
    expect(entries.map(({ header }) => [header.name, header.type, header.mode, header.uid, header.gid, header.uname, header.gname, header.mtime.getTime() / 1000])).toEqual([
      ['hello.wasm', 'file', 0o755, 0, 0, '', '', 1_700_000_000],
    ])
    expect(entries[0]!.bytes.equals(await readFile(HELLO_WASM))).toBe(true)
  })

  test('the layer tar is generated the same on every call', async () => {
    const layer = (await plan()).layers[0]!
    expect((await blobBytes(layer)).equals(await blobBytes(layer))).toBe(true)
  })

  test('gzip: tar+gzip media type, digest of the gzip bytes, diff_id of the tar inside', async () => {
    const [plain, gzipped] = [await plan(), await plan({ compression: 'gzip' })]
    const layer = gzipped.layers[0]!
    expect(layer.descriptor.mediaType).toBe(MEDIA_TYPE_OCI_LAYER_TAR_GZIP)
    const bytes = await blobBytes(layer)
    expect(layer.descriptor).toMatchObject({ digest: sha256(bytes), size: bytes.length })
    expect(sha256(gunzipSync(bytes))).toBe(plain.layers[0]!.descriptor.digest)
    if (gzipped.config.content.kind !== 'bytes') throw new Error('config is not bytes')
    expect(JSON.parse(new TextDecoder().decode(gzipped.config.content.bytes)).rootfs.diff_ids).toEqual([plain.layers[0]!.descriptor.digest])
  })

  test('an unknown compression, several modules or a missing module are usage errors', async () => {
    await expect(plan({ compression: 'zstd' as 'gzip' })).rejects.toMatchObject({ usage: true, message: expect.stringContaining('compression "zstd" is not known') })
    await expect(plan({ modules: [HELLO_WASM, HELLO_WASM] })).rejects.toThrow(/format "compat" holds exactly one module/)
    await expect(plan({ modules: [join(dir, 'missing.wasm')] })).rejects.toThrow(/missing\.wasm" does not exist/)
  })

  for (const compression of ['none', 'gzip'] as const) {
    test(`packs byte-for-byte the same twice (${compression}) and reads back without problems`, async () => {
      const [a, b] = [join(dir, `a-${compression}.tar`), join(dir, `b-${compression}.tar`)]
      await packImage({ ...NAME, format: 'compat', compression, modules: [HELLO_WASM], output: a })
      await packImage({ ...NAME, format: 'compat', compression, modules: [HELLO_WASM], output: b })
      expect(Buffer.compare(await readFile(a), await readFile(b))).toBe(0)
      const { problems, images } = await verifyArchive(a)
      expect(problems).toEqual([])
      expect(images[0]!.platform).toEqual({ architecture: 'wasm', os: 'wasi' })
    })
  }
})
