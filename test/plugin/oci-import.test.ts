import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RollupWatcherEvent } from 'rollup'
import { describe, expect, it } from 'vitest'
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_WASM_CONFIG } from '../../src/core/constants.ts'
import { digestFile } from '../../src/core/digest.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import type { Bundler, OciImage } from '../../src/plugin/types.ts'
import { compileWat, createProject } from './helpers.ts'
import { BUILDS, BUNDLERS, runBuiltScript, viteBuild } from './oci-builds.ts'

const TIMEOUT = { timeout: 60_000 }

/** What each import of the oci fixture must equal: image name, format, reference, config media type. */
const EXPECTED = {
  add: { name: 'add', format: 'runwasi', reference: 'localhost/add:latest', config: MEDIA_TYPE_OCI_CONFIG, module: 'add.wasm' },
  hello: { name: 'hello', format: 'artifact', reference: 'localhost/hello:v2', config: MEDIA_TYPE_WASM_CONFIG, module: 'hello.wasm' },
  helloCompat: { name: 'hello-compat', format: 'compat', reference: 'localhost/hello-compat:v3', config: MEDIA_TYPE_OCI_CONFIG, module: 'hello.wasm' },
} as const

async function projectWith(source: string): Promise<string> {
  const root = await createProject('oci')
  await writeFile(join(root, 'main.js'), source)
  return root
}

describe.each(BUNDLERS)('?oci with %s', (bundler: Bundler) => {
  const build = BUILDS[bundler]

  it('evaluates to a frozen summary of the image the same build writes, for modules nothing else emits', TIMEOUT, async () => {
    const root = await createProject('oci')
    await build(root)
    const images = await runBuiltScript(root)
    expect(Object.keys(images).sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const [key, expected] of Object.entries(EXPECTED)) {
      const image = images[key] as Record<string, unknown> & { layers: unknown[] }
      expect(Object.isFrozen(image), key).toBe(true)
      expect(Object.isFrozen(image.layers), key).toBe(true)
      expect(image.layers.every((layer) => Object.isFrozen(layer)), key).toBe(true)
      const verification = await verifyArchive(join(root, 'dist/oci', `${expected.name}.tar`))
      expect(verification.problems).toEqual([])
      const [archived] = verification.images
      // The same object, built from the archive read back (copied out of the vm's realm).
      expect(JSON.parse(JSON.stringify(image))).toEqual({
        reference: archived!.reference,
        digest: archived!.manifest.digest,
        format: expected.format,
        size: archived!.manifest.size,
        layers: archived!.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      })
      expect(archived!.reference).toBe(expected.reference)
      expect(archived!.config.mediaType).toBe(expected.config)
      if (expected.format !== 'compat') expect(archived!.layers[0]!.digest).toBe((await digestFile(join(root, expected.module))).digest)
    }
  })

  it('fails the build for an unknown query option, naming it and the known ones', TIMEOUT, async () => {
    const root = await projectWith("import add from './add.wasm?oci&flavor=mint'\nglobalThis.ociImages = { add }\n")
    await expect(build(root)).rejects.toThrow(`unplugin-wasm-oci: "./add.wasm?oci&flavor=mint" (imported by main.js): unknown ?oci option "flavor": use format, name, repo, tag (e.g. ?oci&format=artifact&tag=v2)`)
  })

  it('fails the build for ?oci on a file that is not a .wasm module', TIMEOUT, async () => {
    const root = await projectWith("import data from './data.json?oci'\nglobalThis.ociImages = { data }\n")
    await writeFile(join(root, 'data.json'), '{}')
    await expect(build(root)).rejects.toThrow('unplugin-wasm-oci: "./data.json?oci" (imported by main.js): ?oci packs a WebAssembly module into an OCI image, and "./data.json" is not a .wasm file: import a .wasm file with ?oci')
  })
})

describe('?oci with Vite 7', () => {
  it('gives the same objects as Vite 8, equal to its archives', TIMEOUT, async () => {
    const root = await createProject('oci')
    await viteBuild(root, undefined, import('vite7') as unknown as Promise<typeof import('vite')>)
    const images = (await runBuiltScript(root)) as Record<string, OciImage>
    for (const [key, { name }] of Object.entries(EXPECTED)) {
      expect((await verifyArchive(join(root, 'dist/oci', `${name}.tar`))).images[0]!.manifest.digest).toBe(images[key]!.digest)
    }
    const again = await createProject('oci')
    await BUILDS.vite(again)
    expect(JSON.parse(JSON.stringify(await runBuiltScript(again)))).toEqual(JSON.parse(JSON.stringify(images)))
  })
})

describe('?oci next to emitted modules (esbuild, Vite)', () => {
  it('esbuild: an emitted module and its ?oci import with the same options share one archive', TIMEOUT, async () => {
    const root = await projectWith("import addUrl from './add.wasm'\nimport add from './add.wasm?oci'\nglobalThis.ociImages = { add, addUrl }\n")
    await BUILDS.esbuild(root)
    const { add } = (await runBuiltScript(root)) as { add: { digest: string } }
    const verification = await verifyArchive(join(root, 'dist/oci/add.tar'))
    expect(verification.images[0]!.manifest.digest).toBe(add.digest)
  })

  it.each<[Bundler, string]>([
    ['esbuild', "import addUrl from './add.wasm'\n"],
    // add.wasm is above assetsInlineLimit: emitted as assets/add-[hash].wasm.
    ['vite', "import addUrl from './add.wasm?url'\n"],
  ])('%s: a ?oci import whose image differs from the emitted one under the same name fails, naming both and the fix', TIMEOUT, async (bundler, emit) => {
    const root = await projectWith(`${emit}import add from './add.wasm?oci&format=artifact'\nglobalThis.ociImages = { add, addUrl }\n`)
    const error: Error = await BUILDS[bundler](root).then(() => new Error('built'), (e: Error) => e)
    expect(error.message).toMatch(/unplugin-wasm-oci: \S*add[-\w]*\.wasm \(emitted\) and \S*add\.wasm\?oci&format=artifact would both be packed into \S*dist\/oci\/add\.tar, as different images \(manifest sha256:[0-9a-f]{64} and sha256:[0-9a-f]{64}\): give the \?oci import a name of its own \(\?oci&name=add-2\), or the plugin's options/)
    // With a name of its own it gets an archive of its own.
    await writeFile(join(root, 'main.js'), `${emit}import add from './add.wasm?oci&format=artifact&name=add-artifact'\nglobalThis.ociImages = { add, addUrl }\n`)
    await BUILDS[bundler](root)
    const { add } = (await runBuiltScript(root)) as { add: { digest: string } }
    expect((await verifyArchive(join(root, 'dist/oci/add-artifact.tar'))).images[0]!.manifest.digest).toBe(add.digest)
    expect((await verifyArchive(join(root, 'dist/oci/add.tar'))).images[0]!.manifest.digest).not.toBe(add.digest)
  })
})

describe('?oci in the Vite dev server', () => {
  it('serves the same object a build bakes in, without writing an archive', TIMEOUT, async () => {
    const { createServer } = await import('vite')
    const wasmOci = (await import('../../src/vite.ts')).default
    const root = await projectWith("export { default as add } from './add.wasm?oci'\nexport { default as hello } from './hello.wasm?oci&format=artifact&tag=v2'\n")
    const server = await createServer({ root, configFile: false, logLevel: 'silent', server: { middlewareMode: true, ws: false }, plugins: [wasmOci()] })
    let served: Record<string, OciImage>
    try {
      served = JSON.parse(JSON.stringify(await server.ssrLoadModule('/main.js'))) as Record<string, OciImage>
      // What a browser gets: main.js imports /@id/__x00__wasm-oci:…, which Vite's middleware
      // unwraps to the \0 id and resolves again.
      const main = (await server.transformRequest('/main.js'))!.code
      const urls = [...main.matchAll(/"\/@id\/__x00__(wasm-oci:[^"]+)"/g)].map((match) => `\0${match[1]!}`)
      expect(urls).toHaveLength(2)
      for (const url of urls) expect((await server.transformRequest(url))!.code).toMatch(/digest: "sha256:[0-9a-f]{64}"/)
    } finally {
      await server.close()
    }
    await expect(readdir(join(root, 'dist'))).rejects.toThrow(/ENOENT/)
    await writeFile(join(root, 'main.js'), "import add from './add.wasm?oci'\nimport hello from './hello.wasm?oci&format=artifact&tag=v2'\nglobalThis.ociImages = { add, hello }\n")
    await BUILDS.vite(root)
    expect(JSON.parse(JSON.stringify(await runBuiltScript(root)))).toEqual(served)
  })
})

describe('?oci in Rollup watch mode', () => {
  it('a changed module gets a new digest in the bundle and in its archive; the other archives are left alone', { timeout: 90_000 }, async () => {
    const { watch } = await import('rollup')
    const wasmOci = (await import('../../src/rollup.ts')).default
    const root = await createProject('oci')
    const watcher = watch({ input: join(root, 'main.js'), plugins: [wasmOci()], output: { dir: join(root, 'dist'), format: 'es' }, watch: { buildDelay: 50 }, onLog: () => {} })
    const nextBuild = () => new Promise<void>((resolve, reject) => {
      const onEvent = (event: RollupWatcherEvent) => {
        if (event.code === 'BUNDLE_END') void event.result.close()
        if (event.code === 'ERROR' || event.code === 'END') {
          watcher.off('event', onEvent)
          if (event.code === 'ERROR') reject(event.error)
          else resolve()
        }
      }
      watcher.on('event', onEvent)
    })
    const archive = (name: string) => join(root, 'dist/oci', `${name}.tar`)
    try {
      await nextBuild()
      const first = (await runBuiltScript(root)) as Record<string, OciImage>
      const hello = await stat(archive('hello'))
      const wat = (await readFile(new URL('../fixtures/plugin/add.wat', import.meta.url), 'utf8')).replace('add: padding', 'add: changed padding')
      await writeFile(join(root, 'add.wasm'), await compileWat('add', wat))
      await nextBuild()
      const second = (await runBuiltScript(root)) as Record<string, OciImage>
      expect(second.add!.digest).not.toBe(first.add!.digest)
      expect((await verifyArchive(archive('add'))).images[0]!.manifest.digest).toBe(second.add!.digest)
      expect(second.hello).toEqual(first.hello)
      const helloAgain = await stat(archive('hello'))
      expect([helloAgain.ino, helloAgain.mtimeMs]).toEqual([hello.ino, hello.mtimeMs])
    } finally {
      await watcher.close()
    }
  })
})
