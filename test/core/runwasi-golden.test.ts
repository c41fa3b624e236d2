import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_WASM_COMPONENT_LAYER } from '../../src/core/constants.ts'
import { planRunwasiImage } from '../../src/core/formats/runwasi.ts'
import { dockerManifestJson, indexJson } from '../../src/core/layout.ts'
import { type Blob, manifestBlob } from '../../src/core/plan.ts'
import { compileFixture, tempDir } from '../helpers/wat.ts'

const GOLDEN = fileURLToPath(new URL('../golden/', import.meta.url))
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const temp = await tempDir()
afterAll(temp.cleanup)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const descriptorOnly = (mediaType: string, digest: string, size: number): Blob => ({ descriptor: { mediaType, digest, size }, content: { kind: 'bytes', bytes: new Uint8Array() } })

describe("runwasi's oci-tar-builder bytes", () => {
  it('reproduces the conformance vector from runwasi\'s README', () => {
    const manifest = manifestBlob({
      config: descriptorOnly(MEDIA_TYPE_OCI_CONFIG, 'sha256:beb7483682ae4ec45d02cd7cee8ee733f8dc610cb7e91070dc8f10567365bdd7', 138),
      layers: [descriptorOnly(MEDIA_TYPE_WASM_COMPONENT_LAYER, 'sha256:656e978ae0c37156a6abe06052a588e5c700346650765859981ebd2089cffd42', 2590028)],
      annotations: {
        'io.containerd.image.name': 'ghcr.io/containerd/runwasi/wasi-demo-oci:latest',
        'org.opencontainers.image.ref.name': 'latest',
      },
    })
    expect(manifest.descriptor.digest).toBe('sha256:6c48b431d29a1ea1ece13fa50e9f33e4d164e07f6a501dbed668aed947002c5c')
  })

  // Golden bytes for 1, 2 and 3 modules compiled from test/fixtures/*.wat with the pinned wabt.
  // Written once with UPDATE_GOLDEN=1 and checked by hand against FORMATS.md §2 and by
  // validate-oci.sh (skopeo, registry, containerd, umoci) before being committed.
  it.each([
    ['runwasi-1', ['hello']],
    ['runwasi-2', ['hello', 'greet']],
    ['runwasi-3', ['hello', 'greet', 'add']],
  ])('%s: config, manifest, index.json and manifest.json match the golden files', async (golden, fixtures) => {
    const modules = await Promise.all(fixtures.map((name) => compileFixture(name, temp.dir)))
    const plan = await planRunwasiImage({ name: 'hello', repo: 'ghcr.io/acme/demo', tag: 'v1', modules })
    const files = {
      'config.json': decode(plan.config.content.kind === 'bytes' ? plan.config.content.bytes : new Uint8Array()),
      'manifest.json': decode(plan.manifest.content.kind === 'bytes' ? plan.manifest.content.bytes : new Uint8Array()),
      'index.json': decode(indexJson([plan])),
      'docker-manifest.json': decode(dockerManifestJson([plan])),
    }
    const dir = join(GOLDEN, golden)
    if (UPDATE || !existsSync(dir)) {
      if (!UPDATE) throw new Error(`golden files ${dir} are missing: run UPDATE_GOLDEN=1 npx vitest run test/core/runwasi-golden.test.ts, then check them`)
      await mkdir(dir, { recursive: true })
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
    }
    for (const [name, text] of Object.entries(files)) expect(text, `${golden}/${name}`).toBe(await readFile(join(dir, name), 'utf8'))

    // The runwasi layers label, recomputed by a second implementation (coreutils' sha256sum).
    const hexes = plan.layers.map((layer) => layer.descriptor.digest.slice(7)).join('')
    const label = execFileSync('sha256sum', { input: hexes }).toString().split(' ')[0]
    expect(JSON.parse(files['config.json']).config.Labels['containerd.runwasi.layers']).toBe(label)
    expect(plan.layers).toHaveLength(fixtures.length)
  })

  it('lays a module given twice down once: one layer, one blob', async () => {
    const hello = await compileFixture('hello', temp.dir)
    const plan = await planRunwasiImage({ name: 'hello', repo: 'r', tag: 't', modules: [hello, hello] })
    expect(plan.layers).toHaveLength(1)
  })

  it('takes the tag as ref.name even when the repository has a registry port', async () => {
    const hello = await compileFixture('hello', temp.dir)
    const plan = await planRunwasiImage({ name: 'hello', repo: 'localhost:5000/demo', tag: 'v2', modules: [hello] })
    expect(plan.indexAnnotations).toEqual({ 'io.containerd.image.name': 'localhost:5000/demo/hello:v2', 'org.opencontainers.image.ref.name': 'v2' })
    expect(JSON.parse(decode((plan.manifest.content as { bytes: Uint8Array }).bytes)).annotations).toEqual(plan.indexAnnotations)
  })
})
