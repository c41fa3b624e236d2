import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { readComponentWorld } from '../../src/core/component.ts'
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, ANNOTATION_TITLE, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_WASM_CONFIG, MEDIA_TYPE_WASM_LAYER } from '../../src/core/constants.ts'
import { sha256Hex } from '../../src/core/digest.ts'
import { planImage } from '../../src/core/formats/index.ts'
import { packImage } from '../../src/core/pack.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import { buildComponent, compileWat, HELLO_WASM } from '../cli/wasm.ts'
import { makeTempDir } from '../helpers/tools.ts'

const NAME = { name: 'hello', repo: 'example.com/demo', tag: 'v1' }
const HELLO_DIGEST = `sha256:${sha256Hex(await readFile(HELLO_WASM))}`

async function configOf(plan: Awaited<ReturnType<typeof planImage>>): Promise<string> {
  if (plan.config.content.kind !== 'bytes') throw new Error('config is not bytes')
  return new TextDecoder().decode(plan.config.content.bytes)
}

describe('artifact format', () => {
  let dir: string
  let component: string
  beforeAll(async () => {
    dir = await makeTempDir('artifact')
    component = await buildComponent('cli-command', dir)
  })

  test('config bytes: the reference tool\'s key order, compact, created from the epoch', async () => {
    const plan = await planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM], sourceDateEpoch: 0 })
    expect(await configOf(plan)).toBe(
      `{"created":"1970-01-01T00:00:00Z","author":null,"architecture":"wasm","os":"wasip1","layerDigests":["${HELLO_DIGEST}"],"component":null}`,
    )
    expect(plan.config.descriptor.mediaType).toBe(MEDIA_TYPE_WASM_CONFIG)
  })

  test('created follows SOURCE_DATE_EPOCH and author is written when given', async () => {
    const plan = await planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM], sourceDateEpoch: 1_700_000_000, author: 'Ada <ada@example.com>' })
    const config = JSON.parse(await configOf(plan))
    expect(config.created).toBe('2023-11-14T22:13:20Z')
    expect(config.author).toBe('Ada <ada@example.com>')
  })

  test('one application/wasm layer titled NAME.wasm, manifest with mediaType, no platform on the index', async () => {
    const plan = await planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM], sourceDateEpoch: 0, annotations: { 'org.opencontainers.image.source': 'https://example.com/src' } })
    expect(plan.layers.map((layer) => layer.descriptor)).toEqual([{ mediaType: MEDIA_TYPE_WASM_LAYER, digest: HELLO_DIGEST, size: 133, annotations: { [ANNOTATION_TITLE]: 'hello.wasm' } }])
    expect(plan.platform).toBeUndefined()
    expect(plan.indexAnnotations).toEqual({ [ANNOTATION_CONTAINERD_NAME]: 'example.com/demo/hello:v1', [ANNOTATION_REF_NAME]: 'v1' })
    if (plan.manifest.content.kind !== 'bytes') throw new Error('manifest is not bytes')
    const manifest = JSON.parse(new TextDecoder().decode(plan.manifest.content.bytes))
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'mediaType', 'config', 'layers', 'annotations'])
    expect(manifest.mediaType).toBe(MEDIA_TYPE_OCI_MANIFEST)
    expect(manifest.annotations).toEqual({ 'org.opencontainers.image.source': 'https://example.com/src' })
  })

  test('a component gets os wasip2 and its sorted world in component', async () => {
    const plan = await planImage({ ...NAME, format: 'artifact', modules: [component], sourceDateEpoch: 0 })
    const config = JSON.parse(await configOf(plan))
    expect(config.os).toBe('wasip2')
    expect(config.component).toEqual({
      exports: ['wasi:cli/run@0.2.0'],
      imports: ['error', 'wasi:cli/environment@0.2.0', 'wasi:cli/exit@0.2.0', 'wasi:cli/stderr@0.2.3', 'wasi:cli/stdout@0.2.3', 'wasi:io/error@0.2.0'],
      target: null,
    })
    expect(config.component).toEqual(await readComponentWorld(component))
    expect(Object.keys(config.component)).toEqual(['exports', 'imports', 'target'])
  })

  test('more than one module, or an extra layer, is a clear usage error', async () => {
    const exit3 = await compileWat('exit3', dir)
    await expect(planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM, exit3], sourceDateEpoch: 0 })).rejects.toMatchObject({
      usage: true,
      message: expect.stringMatching(/format "artifact" holds exactly one module, but 2 were given .*hello\.wasm.*exit3\.wasm/),
    })
    await expect(planImage({ ...NAME, format: 'artifact', modules: [], sourceDateEpoch: 0 })).rejects.toThrow(/packs one wasm module/)
    await expect(planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM], layers: [{ mediaType: 'text/plain', path: HELLO_WASM }], sourceDateEpoch: 0 })).rejects.toThrow(/not extra layers/)
  })

  test('an option of another format is refused, not ignored', async () => {
    await expect(planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM], sourceDateEpoch: 0, compression: 'gzip' })).rejects.toThrow(/compression "gzip" applies only to the compat format/)
    await expect(planImage({ ...NAME, modules: [HELLO_WASM], sourceDateEpoch: 0, author: 'x' })).rejects.toThrow(/author "x" is written only by the artifact format/)
  })

  test('a SOURCE_DATE_EPOCH past year 9999 is refused with the range', async () => {
    await expect(planImage({ ...NAME, format: 'artifact', modules: [HELLO_WASM], sourceDateEpoch: 253_402_300_800 })).rejects.toThrow(/from 0 to 253402300799/)
  })

  test('a malformed component is a clear error, not a crash', async () => {
    const bad = join(dir, 'bad-component.wasm')
    await writeFile(bad, (await readFile(component)).subarray(0, 20))
    await expect(planImage({ ...NAME, format: 'artifact', modules: [bad], sourceDateEpoch: 0 })).rejects.toThrow(/component ".*bad-component\.wasm" is malformed/)
  })

  test('packs deterministically and reads back without problems', async () => {
    const [a, b] = [join(dir, 'a.tar'), join(dir, 'b.tar')]
    await packImage({ ...NAME, format: 'artifact', modules: [component], output: a, sourceDateEpoch: 1_700_000_000 })
    await packImage({ ...NAME, format: 'artifact', modules: [component], output: b, sourceDateEpoch: 1_700_000_000 })
    expect(Buffer.compare(await readFile(a), await readFile(b))).toBe(0)
    const { problems, images } = await verifyArchive(a)
    expect(problems).toEqual([])
    expect(images[0]!.layers.map((layer) => layer.kind)).toEqual(['component'])
  })
})
