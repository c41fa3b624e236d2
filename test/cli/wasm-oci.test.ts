import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_WASM_CONFIG } from '../../src/core/constants.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import { makeTempDir } from '../helpers/tools.ts'
import { buildArchive as build, ociTarBuilder, ROOT, wasmOci } from './cli.ts'
import { compileWat, HELLO_WASM } from './wasm.ts'

const FORMATS = ['runwasi', 'artifact', 'compat'] as const
const REF = 'example.com/demo/hello:v1'

let dir: string
let exit3: string
beforeAll(async () => {
  dir = await makeTempDir('wasm-oci-cli')
  exit3 = await compileWat('exit3', dir)
})

describe('help and usage', () => {
  test('--help lists the commands; every command has its own --help', async () => {
    const top = await wasmOci(['--help'])
    expect(top.code).toBe(0)
    for (const command of ['build', 'inspect', 'verify', 'run']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))
      const help = await wasmOci([command, '--help'])
      expect(help).toMatchObject({ code: 0, stderr: '' })
      expect(help.stdout).toMatch(new RegExp(`^Usage: wasm-oci ${command} `))
      expect(help.stdout).toMatch(/^Exit status: .*2 bad arguments\.$/m)
      expect((await wasmOci(['help', command])).stdout).toBe(help.stdout)
    }
  })

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(await wasmOci(['--version'])).toMatchObject({ code: 0, stdout: `wasm-oci ${version}\n` })
  })

  const USAGE: Array<[string[], RegExp]> = [
    [[], /give a command: build, inspect, verify, run/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['build', 'hello.wasm'], /build: --ref is required/],
    [['build', '--ref', REF], /build: give the wasm module/],
    [['build', '--bogus'], /build: Unknown option '--bogus'; run 'wasm-oci build --help' for usage/],
    [['build', 'x.wasm', '--ref', REF, '--format', 'docker'], /--format "docker" is not known: use one of runwasi, artifact, compat/],
    [['build', 'x.wasm', '--ref', 'Example/Hello World'], /--ref "Example\/Hello World"/],
    [['build', 'x.wasm', '--ref', `example.com/demo/hello@sha256:${'a'.repeat(64)}`], /names a digest: give a tag/],
    [['build', 'x.wasm', '--ref', REF, '--annotation', 'novalue'], /--annotation "novalue" is not KEY=VALUE/],
    [['build', 'x.wasm', '--ref', REF, '--compression', 'zstd'], /--compression "zstd" is not known/],
    [['build', 'missing.wasm', '--ref', REF], /module "missing\.wasm" does not exist/],
    [['inspect'], /inspect: give exactly one archive/],
    [['verify'], /verify: give the archive/],
    [['verify', 'missing.tar'], /archive "missing\.tar" does not exist/],
    [['run'], /run: give the archive/],
    [['run', 'x.tar', '--env', 'NOEQUALS'], /--env "NOEQUALS" is not KEY=VALUE/],
  ]
  for (const [args, message] of USAGE) {
    // Independent child processes: run side by side.
    test.concurrent(`exit 2 with one line: wasm-oci ${args.join(' ')}`, async ({ expect }) => {
      const result = await wasmOci(args, { cwd: dir })
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^wasm-oci: [^\n]+\n$/)
      expect(result.stderr).toMatch(message)
    })
  }
})

describe('build', () => {
  for (const format of FORMATS) {
    test(`--format ${format}: a sound archive named by --ref, the same bytes twice`, async () => {
      const [a, b] = [join(dir, `${format}-a.tar`), join(dir, `${format}-b.tar`)]
      const result = await wasmOci(['build', HELLO_WASM, '--format', format, '--ref', REF, '-o', a])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^${a}: ${REF} sha256:[0-9a-f]{64} \\(${format}, 1 layer, [\\d.]+ KiB\\)\\n$`))
      await build([HELLO_WASM, '--format', format, '--ref', REF], b)
      expect((await readFile(a)).equals(await readFile(b))).toBe(true)
      const { problems, images } = await verifyArchive(a)
      expect(problems).toEqual([])
      expect(images.map((image) => image.reference)).toEqual([REF])
      expect(images[0]!.config.mediaType).toBe(format === 'artifact' ? MEDIA_TYPE_WASM_CONFIG : MEDIA_TYPE_OCI_CONFIG)
    })
  }

  test('compat with gzip is reproducible too', async () => {
    const [a, b] = [join(dir, 'gz-a.tar'), join(dir, 'gz-b.tar')]
    await build([HELLO_WASM, '-f', 'compat', '--compression', 'gzip', '--ref', REF], a)
    await build([HELLO_WASM, '-f', 'compat', '--compression', 'gzip', '--ref', REF], b)
    expect((await readFile(a)).equals(await readFile(b))).toBe(true)
    expect((await verifyArchive(a)).problems).toEqual([])
  })

  test('SOURCE_DATE_EPOCH, --author and --annotation reach the artifact; --json prints the summary', async () => {
    const out = join(dir, 'annotated.tar')
    const result = await wasmOci(['build', HELLO_WASM, '-f', 'artifact', '--ref', REF, '-o', out, '--author', 'Ada', '--annotation', 'org.opencontainers.image.source=https://x.test/?a=b', '--json'], { env: { SOURCE_DATE_EPOCH: '86400' } })
    expect(result.code).toBe(0)
    const { archives } = JSON.parse(result.stdout)
    expect(archives).toMatchObject([{ format: 'artifact', path: out, written: true, reference: REF, layers: [{ mediaType: 'application/wasm' }] }])
    const [image] = (await verifyArchive(out)).images
    expect(image!.configJson).toMatchObject({ created: '1970-01-02T00:00:00Z', author: 'Ada' })
    expect(image!.manifestAnnotations).toEqual({ 'org.opencontainers.image.source': 'https://x.test/?a=b' })
    expect(image!.manifest.digest).toBe(archives[0].manifest.digest)
  })

  test('several modules with a one-module format: one archive per module, named after it', async () => {
    const out = join(dir, 'several')
    const result = await wasmOci(['build', HELLO_WASM, exit3, '-f', 'artifact', '--ref', 'example.com/demo:v2', '-o', out])
    expect(result.code).toBe(0)
    for (const name of ['hello', 'exit3']) {
      const { problems, images } = await verifyArchive(join(out, `${name}.tar`))
      expect(problems).toEqual([])
      expect(images[0]!.reference).toBe(`example.com/demo/${name}:v2`)
    }
  })

  test('several modules with runwasi: one image, one layer each', async () => {
    const out = await build([HELLO_WASM, exit3, '--ref', REF], join(dir, 'layers.tar'))
    expect((await verifyArchive(out)).images[0]!.layers).toHaveLength(2)
  })
})

describe('oci-tar-builder -a/--as-artifact', () => {
  test('writes the artifact from the first module, as upstream, and says what it ignored', async () => {
    const out = join(dir, 'upstream-artifact.tar')
    const result = await ociTarBuilder(['-n', 'hello', '-r', 'example.com/demo', '-t', 'v1', '-m', HELLO_WASM, '-m', exit3, '-a', '-o', out])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/packs only the first module, .*hello\.wasm; ignoring .*exit3\.wasm/)
    const { problems, images } = await verifyArchive(out)
    expect(problems).toEqual([])
    expect(images[0]!.config.mediaType).toBe(MEDIA_TYPE_WASM_CONFIG)
    expect(images[0]!.layers.map((layer) => layer.annotations)).toEqual([{ 'org.opencontainers.image.title': 'hello.wasm' }])
  })

  test('-a with -l is a usage error', async () => {
    const result = await ociTarBuilder(['-n', 'hello', '-r', 'example.com/demo', '-t', 'v1', '-m', HELLO_WASM, '-a', '-l', `text/plain=${HELLO_WASM}`])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/-l\/--layer cannot go into an artifact/)
  })
})
