import { appendFile, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyArchive } from '../../src/core/verify.ts'
import type { Options } from '../../src/plugin/types.ts'
import wasmOci from '../../src/vite.ts'
import { registryManifestDigest, skopeoInspect } from '../helpers/consumers.ts'
import { type Registry, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools } from '../helpers/tools.ts'
import { createProject, listWasm } from '../plugin/helpers.ts'

const TIMEOUT = { timeout: 60_000 }
const IMAGE_KEYS = ['name', 'archive', 'source', 'emitted', 'format', 'reference', 'manifest', 'config', 'layers', 'pushed']

interface ReportJson {
  schemaVersion: number
  images: Array<Record<string, unknown> & { name: string; archive: string; manifest: { digest: string }; pushed: Array<Record<string, unknown>> }>
}

/** The app fixture (hello and add emitted by Vite) plus a third image only imported with ?oci. */
async function threeModuleProject(): Promise<string> {
  const root = await createProject('app')
  await appendFile(join(root, 'main.js'), "import helloArtifact from './hello.wasm?oci&format=artifact&name=hello-artifact'\nexport { helloArtifact }\n")
  return root
}

async function viteBuild(root: string, options: Options): Promise<void> {
  const { build } = await import('vite')
  await build({ root, configFile: false, logLevel: 'silent', build: { assetsInlineLimit: 0 }, plugins: [wasmOci(options)] })
}

describe.skipIf(!requireTools('docker-registry', 'skopeo'))('the build report, from a Vite build that pushes three images', () => {
  let registry: Registry
  let dockerConfig: string

  beforeAll(async () => {
    registry = await startRegistry()
    // No credentials of the machine's user: the registry is anonymous.
    dockerConfig = await makeTempDir('docker-config')
  })

  it('lists every image with its source, archive, digests and where it went; the same bytes on a second build', TIMEOUT, async () => {
    const root = await threeModuleProject()
    const options: Options = { repo: `${registry.host}/report`, report: true, push: { tags: ['v1'], dockerConfig } }
    await viteBuild(root, options)
    const dist = join(root, 'dist')
    const path = join(dist, 'oci/oci-report.json')
    const text = await readFile(path, 'utf8')
    const report = JSON.parse(text) as ReportJson
    expect(text.endsWith('}\n')).toBe(true)
    expect(Object.keys(report)).toEqual(['schemaVersion', 'images'])
    expect(report.schemaVersion).toBe(1)
    expect(report.images.map((image) => image.archive)).toEqual(['add.tar', 'hello-artifact.tar', 'hello.tar'])

    const emitted = await listWasm(join(dist, 'assets'))
    for (const image of report.images) {
      expect(Object.keys(image)).toEqual(IMAGE_KEYS)
      const { images: [archived], problems } = await verifyArchive(join(dist, 'oci', image.archive))
      expect(problems).toEqual([])
      const imported = image.name === 'hello-artifact'
      const module = imported ? 'hello' : image.name
      expect(image).toEqual({
        name: image.name,
        archive: `${image.name}.tar`,
        source: `${module}.wasm`,
        emitted: imported ? null : `assets/${emitted.find((file) => file.startsWith(`${module}-`))}`,
        format: imported ? 'artifact' : 'runwasi',
        reference: `${registry.host}/report/${image.name}:latest`,
        // The manifest's own descriptor; index.json adds the naming annotations and the platform.
        manifest: { mediaType: archived!.manifest.mediaType, digest: archived!.manifest.digest, size: archived!.manifest.size },
        config: archived!.config,
        layers: archived!.layers.map(({ kind: _kind, ...descriptor }) => descriptor),
        pushed: [{
          repository: `${registry.host}/report/${image.name}`,
          tags: ['latest', 'v1'],
          digest: archived!.manifest.digest,
          reference: `${registry.host}/report/${image.name}@${archived!.manifest.digest}`,
        }],
      })
      // The registry holds it under both tags, with the digest the report names.
      for (const tag of ['latest', 'v1']) expect(await registryManifestDigest(registry.host, `report/${image.name}`, tag)).toBe(image.manifest.digest)
    }
    const inspected = await skopeoInspect(`docker://${report.images[0]!.pushed[0]!.reference as string}`, ['--tls-verify=false'])
    expect(inspected.digest).toBe(report.images[0]!.manifest.digest)
    // Written atomically: nothing but the archives and the report is left beside them.
    expect((await readdir(join(dist, 'oci'))).sort()).toEqual(['add.tar', 'hello-artifact.tar', 'hello.tar', 'oci-report.json'])

    // A second build (a fresh plugin, Vite empties dist first) pushes nothing new and writes the same bytes.
    await viteBuild(root, options)
    expect(await readFile(path, 'utf8')).toBe(text)
  })

  it('a report path of its own: archive paths relative to it; no push, no pushed entries', TIMEOUT, async () => {
    const root = await threeModuleProject()
    await viteBuild(root, { outDir: '../images', report: '../deploy/images.json' })
    const report = JSON.parse(await readFile(join(root, 'deploy/images.json'), 'utf8')) as ReportJson
    expect(report.images.map((image) => [image.archive, image.pushed])).toEqual([
      ['../images/add.tar', []],
      ['../images/hello-artifact.tar', []],
      ['../images/hello.tar', []],
    ])
    for (const image of report.images) {
      expect((await verifyArchive(join(root, 'deploy', image.archive))).images[0]!.manifest.digest).toBe(image.manifest.digest)
    }
  })
})
