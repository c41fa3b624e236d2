import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Verification, verifyArchive } from '../../src/core/verify.ts'
import {
  ctrImageCheck,
  ctrImport,
  extractTar,
  registryBlobSize,
  skopeoCopyToOciDir,
  skopeoInspect,
  skopeoPush,
  umociStat,
} from '../helpers/consumers.ts'
import { startContainerd, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools, runOk } from '../helpers/tools.ts'
import { compileFixture } from '../helpers/wat.ts'

const CLI = fileURLToPath(new URL('../../dist/cli/oci-tar-builder.js', import.meta.url))
const REFERENCE = 'example.com/demo/hello:v1'

/** The runwasi image written by the CLI, for 1, 2 and 3 real modules, fed to the real consumers. */
describe.skipIf(!requireTools('skopeo', 'docker-registry', 'containerd', 'ctr', 'umoci', 'tar'))('runwasi archives from oci-tar-builder, read by real consumers', () => {
  const archives: Array<{ modules: number; path: string; verification: Verification }> = []

  beforeAll(async () => {
    const dir = await makeTempDir('runwasi-consumers')
    const modules = [await compileFixture('hello', dir), await compileFixture('greet', dir), await compileFixture('add', dir)]
    for (const count of [1, 2, 3]) {
      const path = join(dir, `hello-${count}.tar`)
      await runOk(process.execPath, [CLI, '-n', 'hello', '-r', 'example.com/demo', '-t', 'v1', ...modules.slice(0, count).flatMap((m) => ['-m', m]), '-o', path])
      const verification = await verifyArchive(path)
      expect(verification.problems).toEqual([])
      archives.push({ modules: count, path, verification })
    }
  })

  it('skopeo copies each archive to an oci: layout, checking every blob digest', async () => {
    for (const { path, verification } of archives) {
      const copy = await skopeoCopyToOciDir(path)
      expect((await skopeoInspect(copy.transportRef)).digest).toBe(verification.images[0]!.manifest.digest)
      expect((await skopeoInspect(`oci-archive:${path}`)).digest).toBe(verification.images[0]!.manifest.digest)
    }
  })

  it('a registry takes each image with the same manifest digest and every blob at its descriptor size', async () => {
    const registry = await startRegistry()
    try {
      for (const { modules, path, verification } of archives) {
        const [image] = verification.images
        const pushed = await skopeoPush(path, registry.host, `demo/hello-${modules}:v1`)
        expect(pushed.digest).toBe(image!.manifest.digest)
        for (const blob of [image!.config, ...image!.layers]) {
          expect(await registryBlobSize(registry.host, `demo/hello-${modules}`, blob.digest)).toBe(blob.size)
        }
      }
    } finally {
      await registry.stop()
    }
  })

  it('containerd imports each image (--all-platforms --no-unpack) under io.containerd.image.name, complete', async () => {
    for (const { path, verification } of archives) {
      const containerd = await startContainerd()
      try {
        expect(await ctrImport(containerd, path)).toEqual([REFERENCE])
        expect(await ctrImageCheck(containerd, REFERENCE)).toBe(true)
        const listed = await containerd.ctr(['images', 'list'])
        expect(listed.stdout).toContain(verification.images[0]!.manifest.digest)
      } finally {
        await containerd.stop()
      }
    }
  })

  it('umoci stats each image from the extracted layout by its tag', async () => {
    for (const { path } of archives) {
      const layout = await makeTempDir('runwasi-umoci')
      await extractTar(path, layout)
      await expect(umociStat(layout, 'v1')).resolves.toBeDefined()
      await expect(umociStat(layout, 'no-such-tag')).rejects.toThrow()
    }
  })
})
