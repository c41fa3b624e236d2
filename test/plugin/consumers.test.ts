import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'vite'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Verification, verifyArchive } from '../../src/core/verify.ts'
import wasmOci from '../../src/vite.ts'
import { ctrImageCheck, ctrImport, registryBlobSize, skopeoInspect, skopeoPush } from '../helpers/consumers.ts'
import { startContainerd, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools, runOk } from '../helpers/tools.ts'
import { createProject } from './helpers.ts'

/** Runs a wasip1 command module with node:wasi in a child process, so its stdout can be read. */
const RUN_WASI = `
import { readFile } from 'node:fs/promises'
import { WASI } from 'node:wasi'
const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true })
const { instance } = await WebAssembly.instantiate(await readFile(process.argv[2]), wasi.getImportObject())
process.exitCode = wasi.start(instance)
`

/** An archive the Vite plugin wrote, fed to the consumers the core's archives are checked with. */
describe.skipIf(!requireTools('skopeo', 'docker-registry', 'containerd', 'ctr', 'tar'))('a plugin-built archive, read by real consumers', () => {
  let archive: string
  let verification: Verification

  beforeAll(async () => {
    const root = await createProject('app')
    await build({
      root,
      configFile: false,
      logLevel: 'silent',
      build: { assetsInlineLimit: 0 },
      plugins: [wasmOci({ repo: 'localhost/plugin', tag: 'v1' })],
    })
    archive = join(root, 'dist/oci/hello.tar')
    verification = await verifyArchive(archive)
    expect(verification.problems).toEqual([])
  })

  it('skopeo reads it with the manifest digest the archive names', async () => {
    expect((await skopeoInspect(`oci-archive:${archive}`)).digest).toBe(verification.images[0]!.manifest.digest)
  })

  it('a registry takes it with the same manifest digest and every blob at its size', async () => {
    const registry = await startRegistry()
    try {
      const [image] = verification.images
      const pushed = await skopeoPush(archive, registry.host, 'plugin/hello:v1')
      expect(pushed.digest).toBe(image!.manifest.digest)
      for (const blob of [image!.config, ...image!.layers]) {
        expect(await registryBlobSize(registry.host, 'plugin/hello', blob.digest)).toBe(blob.size)
      }
    } finally {
      await registry.stop()
    }
  })

  it('containerd imports it under its io.containerd.image.name, complete', async () => {
    const containerd = await startContainerd()
    try {
      expect(await ctrImport(containerd, archive)).toEqual(['localhost/plugin/hello:v1'])
      expect(await ctrImageCheck(containerd, 'localhost/plugin/hello:v1')).toBe(true)
    } finally {
      await containerd.stop()
    }
  })

  it('the module runs back out of the archive: its layer, found by digest, prints hello under node:wasi', async () => {
    const dir = await makeTempDir('plugin-run')
    const layer = verification.images[0]!.layers[0]!.digest
    await runOk('tar', ['-xf', archive, '-C', dir, `blobs/sha256/${layer.slice('sha256:'.length)}`])
    const script = join(dir, 'run.mjs')
    await writeFile(script, RUN_WASI)
    const { stdout } = await runOk(process.execPath, ['--no-warnings', script, join(dir, 'blobs/sha256', layer.slice('sha256:'.length))])
    expect(stdout).toBe('hello\n')
  })
})
