import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { verifyArchive, type VerifiedImage } from '../../src/core/verify.ts'
import {
  ctrImageCheck,
  ctrImageNames,
  ctrImport,
  podmanLoad,
  registryBlobSize,
  skopeoCopyToOciDir,
  skopeoInspect,
  skopeoPush,
  umociRawUnpack,
  umociStat,
} from '../helpers/consumers.ts'
import { type Containerd, type Registry, startContainerd, startRegistry } from '../helpers/daemons.ts'
import { assertOk, makeTempDir, requireTools, runOk } from '../helpers/tools.ts'
import { wasmOci } from './cli.ts'
import { HELLO_WASM } from './wasm.ts'

/**
 * Every format, built through `wasm-oci build`, fed to the real consumers that apply to it
 * (FORMATS.md §2–4). Each image gets its own containerd namespace and registry repository.
 */
const TOOLS = ['skopeo', 'docker-registry', 'containerd', 'ctr', 'umoci', 'podman']
const REPO = 'example.com/demo'

interface Built {
  path: string
  reference: string
  image: VerifiedImage
}

let dir: string
async function build(format: string, name: string, extra: string[] = []): Promise<Built> {
  const path = join(dir, `${name}.tar`)
  const reference = `${REPO}/${name}:v1`
  const result = await wasmOci(['build', HELLO_WASM, '--format', format, '--ref', reference, '-o', path, ...extra])
  expect(result.stderr).toBe('')
  const { problems, images } = await verifyArchive(path)
  expect(problems).toEqual([])
  return { path, reference, image: images[0]! }
}

/** A registry round trip: the registry must store the manifest under our digest and every blob at our size. */
async function expectRegistryRoundTrip(registry: Registry, built: Built, name: string): Promise<void> {
  const pushed = await skopeoPush(built.path, registry.host, `demo/${name}:v1`, { preserveDigests: true })
  expect(pushed.digest).toBe(built.image.manifest.digest)
  expect(pushed.skopeoDigest).toBe(built.image.manifest.digest)
  for (const blob of [built.image.config, ...built.image.layers]) expect(await registryBlobSize(registry.host, `demo/${name}`, blob.digest)).toBe(blob.size)
}

describe.skipIf(!requireTools(...TOOLS))('real consumers', () => {
  let registry: Registry
  let containerd: Containerd
  beforeAll(async () => {
    dir = await makeTempDir('consumers')
    ;[registry, containerd] = await Promise.all([startRegistry(), startContainerd()])
  })

  test('runwasi: skopeo, the registry, ctr import --no-unpack, umoci stat', async () => {
    const built = await build('runwasi', 'hello-runwasi')
    const copy = await skopeoCopyToOciDir(built.path)
    expect((await skopeoInspect(copy.transportRef)).digest).toBe(built.image.manifest.digest)
    expect(await umociStat(copy.dir, copy.tag)).toEqual({ history: null })
    await expectRegistryRoundTrip(registry, built, 'hello-runwasi')
    expect(await ctrImport(containerd, built.path)).toContain(built.reference)
    expect(await ctrImageCheck(containerd, built.reference)).toBe(true)
  })

  test('artifact: skopeo copies it, the registry stores it under our digest, ctr imports it without --all-platforms', async () => {
    const built = await build('artifact', 'hello-artifact')
    const copy = await skopeoCopyToOciDir(built.path)
    expect((await skopeoInspect(copy.transportRef)).digest).toBe(built.image.manifest.digest)
    await expectRegistryRoundTrip(registry, built, 'hello-artifact')
    // No platform on the index descriptor: the plain `ctr images import --no-unpack` that feeds a
    // CRI namespace keeps it (a wasip1/wasm platform would be filtered out without --all-platforms).
    const args = ['images', 'import', '--no-unpack', built.path]
    assertOk(await containerd.ctr(args), 'ctr', args)
    expect(await ctrImageNames(containerd)).toContain(built.reference)
    expect(await ctrImageCheck(containerd, built.reference)).toBe(true)
  })

  for (const compression of ['none', 'gzip'] as const) {
    test(`compat (${compression}): ctr unpacks it, umoci raw unpack finds /NAME.wasm, podman loads it, skopeo reads docker-archive:`, async () => {
      const name = `hello-compat-${compression}`
      const built = await build('compat', name, ['--compression', compression])
      const wasm = await readFile(HELLO_WASM)

      // ctr with unpack into the native snapshotter: containerd checks every diff_id.
      expect(await ctrImport(containerd, built.path, { unpack: true })).toContain(built.reference)
      expect(await ctrImageCheck(containerd, built.reference)).toBe(true)
      // The documented command for Docker-less hosts: select the platform instead of --all-platforms.
      const namespaced = ['--namespace', `compat-${compression}`]
      const args = [...namespaced, 'images', 'import', '--platform', 'wasi/wasm', '--snapshotter', 'native', built.path]
      assertOk(await containerd.ctr(args), 'ctr', args)

      const copy = await skopeoCopyToOciDir(built.path)
      const bundle = join(await makeTempDir('umoci-bundle'), 'bundle')
      await umociRawUnpack(copy.dir, copy.tag, bundle)
      // The module is named after the image (its entrypoint is /NAME.wasm), alone at the root.
      expect(await readdir(bundle)).toEqual([`${name}.wasm`])
      expect((await readFile(join(bundle, `${name}.wasm`))).equals(wasm)).toBe(true)
      expect((await stat(join(bundle, `${name}.wasm`))).mode & 0o777).toBe(0o755)

      const loaded = await podmanLoad(built.path)
      expect(loaded.digest).toBe(built.image.manifest.digest)
      expect(loaded.names).toContain(built.reference)

      // docker-archive: reads manifest.json and checks the layer against the config's diff_id.
      const fromDocker = join(await makeTempDir('docker-archive'), 'layout')
      await runOk('skopeo', ['--tmpdir', await makeTempDir('skopeo-tmp'), 'copy', `docker-archive:${built.path}`, `oci:${fromDocker}:v1`])
      expect(JSON.parse(await readFile(join(fromDocker, 'index.json'), 'utf8')).manifests).toHaveLength(1)

      await expectRegistryRoundTrip(registry, built, name)
    })
  }
})
