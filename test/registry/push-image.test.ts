import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { planImage } from '../../src/core/formats/index.ts'
import { pushImage } from '../../src/registry/push.ts'
import { skopeoInspect } from '../helpers/consumers.ts'
import { type Registry, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools } from '../helpers/tools.ts'
import { compileFixture } from '../helpers/wat.ts'
import { registryRequests } from './support.ts'

/**
 * `pushImage(plan, ref, options)` straight from an image plan, as the plugin calls it after a
 * build: no archive in between, blobs read from the module files or generated (the compat tar).
 */
describe.skipIf(!requireTools('docker-registry', 'skopeo'))('pushImage from an image plan', () => {
  let registry: Registry
  let dir: string
  let module: string

  beforeAll(async () => {
    dir = await makeTempDir('push-image')
    registry = await startRegistry()
    module = await compileFixture('hello', dir)
  })

  const inspect = async (repoTag: string): Promise<string> => (await skopeoInspect(`docker://${registry.host}/${repoTag}`, ['--tls-verify=false'])).digest

  it('pushes each format\'s plan, with extra tags; the compat layer tar is generated on the way', async () => {
    for (const format of ['runwasi', 'artifact', 'compat'] as const) {
      const plan = await planImage({ format, name: 'hello', repo: 'example.com/plugin', tag: 'v1', modules: [module], sourceDateEpoch: 0 })
      const result = await pushImage(plan, `${registry.host}/plugin/${format}:v1`, { tags: ['latest'] })
      expect(result).toMatchObject({ reference: `${registry.host}/plugin/${format}:v1`, digest: plan.manifest.descriptor.digest, tags: ['v1', 'latest'] })
      for (const tag of ['v1', 'latest']) expect(await inspect(`plugin/${format}:${tag}`)).toBe(plan.manifest.descriptor.digest)
    }
  })

  it('splits a blob into chunks of any size, the last one short', async () => {
    const extra = join(dir, 'odd.bin')
    await writeFile(extra, randomBytes(100_003))
    const plan = await planImage({ name: 'hello', repo: 'example.com/plugin', tag: 'v1', modules: [module], layers: [{ mediaType: 'application/octet-stream', path: extra }], sourceDateEpoch: 0 })
    const before = (await registryRequests(registry)).length
    await pushImage(plan, `${registry.host}/plugin/chunks:v1`, { chunkThreshold: 1000, chunkSize: 30_000 })
    const patches = (await registryRequests(registry)).slice(before).filter(r => r.method === 'PATCH')
    expect(patches).toHaveLength(4)
    expect(await inspect('plugin/chunks:v1')).toBe(plan.manifest.descriptor.digest)
  })

  it('a module changed or removed after planning fails the push before any manifest, naming the blob', async () => {
    const copy = join(dir, 'changing.wasm')
    await writeFile(copy, await readFile(module))
    const plan = await planImage({ name: 'hello', repo: 'example.com/plugin', tag: 'v1', modules: [copy], sourceDateEpoch: 0 })
    const layer = plan.layers[0]!.descriptor.digest
    await writeFile(copy, Buffer.alloc(plan.layers[0]!.descriptor.size, 1))
    await expect(pushImage(plan, `${registry.host}/plugin/changed:v1`)).rejects.toThrow(`push of ${registry.host}/plugin/changed:v1 failed: blob ${layer} has bytes that hash to`)
    await rm(copy)
    await expect(pushImage(plan, `${registry.host}/plugin/changed:v1`)).rejects.toThrow(`push of ${registry.host}/plugin/changed:v1 failed: cannot read blob ${layer} from its source (ENOENT)`)
    expect((await registryRequests(registry)).filter(r => r.uri === '/v2/plugin/changed/manifests/v1')).toEqual([])
  })
})
