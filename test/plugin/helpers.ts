import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { digestFile } from '../../src/core/digest.ts'
import { packImage } from '../../src/core/pack.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import { makeTempDir } from '../helpers/tools.ts'
import { watToWasm } from '../helpers/wat.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const WAT_SOURCES = { hello: join(FIXTURES, 'hello.wat'), add: join(FIXTURES, 'plugin', 'add.wat') }
export type ModuleName = keyof typeof WAT_SOURCES

/** Compiles a WAT source to wasm bytes with the wabt package (no wat2wasm binary needed). */
export const compileWat = (name: string, text: string): Promise<Uint8Array> => watToWasm(`${name}.wat`, text)

export async function compileModule(name: ModuleName): Promise<Uint8Array> {
  return compileWat(name, await readFile(WAT_SOURCES[name], 'utf8'))
}

/** A fresh project directory: the fixture's files plus `hello.wasm` (wasip1, prints hello) and `add.wasm` (> 4096 bytes). */
export async function createProject(fixture: 'app' | 'imports' | 'webpack' | 'oci'): Promise<string> {
  const dir = await makeTempDir(`plugin-${fixture}`)
  await cp(join(FIXTURES, 'plugin', fixture), dir, { recursive: true })
  for (const name of Object.keys(WAT_SOURCES) as ModuleName[]) await writeFile(join(dir, `${name}.wasm`), await compileModule(name))
  return dir
}

/** Every emitted `.wasm` below `dir` (relative paths, archives' directories skipped). */
export async function listWasm(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wasm'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort()
}

export interface CheckedArchive {
  path: string
  /** sha256 of the whole archive file. */
  digest: string
  ino: number
  mtimeMs: number
}

/**
 * Asserts that `<outputDir>/oci/` holds exactly one archive per expected image, each reading
 * back without a problem, named `<repo>/<name>:latest`, with the emitted file's bytes as its
 * one layer. `expected` maps image names to emitted files relative to `outputDir`.
 */
export async function expectArchives(
  outputDir: string,
  expected: Record<string, string>,
  { ociDir = join(outputDir, 'oci'), repo = 'localhost' } = {},
): Promise<Record<string, CheckedArchive>> {
  const names = Object.keys(expected).sort()
  expect((await readdir(ociDir)).sort()).toEqual(names.map((name) => `${name}.tar`))
  const checked: Record<string, CheckedArchive> = {}
  for (const name of names) {
    const path = join(ociDir, `${name}.tar`)
    const verification = await verifyArchive(path)
    expect(verification.problems).toEqual([])
    expect(verification.images).toHaveLength(1)
    const [image] = verification.images
    expect(image!.reference).toBe(`${repo}/${name}:latest`)
    expect(image!.layers).toHaveLength(1)
    const emitted = await digestFile(join(outputDir, expected[name]!))
    expect(image!.layers[0]!.digest).toBe(emitted.digest)
    expect(image!.layers[0]!.size).toBe(emitted.size)
    const { ino, mtimeMs } = await stat(path)
    checked[name] = { path, digest: (await digestFile(path)).digest, ino, mtimeMs }
  }
  return checked
}

const referenceDigests = new Map<ModuleName, Promise<string>>()

/**
 * The digest of the archive the core packs for a module with the plugin's defaults: every
 * bundler's archive must have these exact bytes.
 */
export function referenceArchiveDigest(name: ModuleName): Promise<string> {
  let digest = referenceDigests.get(name)
  if (!digest) {
    digest = (async () => {
      const dir = await makeTempDir('plugin-reference')
      const module = join(dir, `${name}.wasm`)
      await writeFile(module, await compileModule(name))
      const output = join(dir, `${name}.tar`)
      await packImage({ name, repo: 'localhost', tag: 'latest', modules: [module], output })
      return (await digestFile(output)).digest
    })()
    referenceDigests.set(name, digest)
  }
  return digest
}

/** Checks the archives against the core's reference bytes for the same module and options. */
export async function expectReferenceBytes(archives: Record<string, CheckedArchive>): Promise<void> {
  for (const [name, archive] of Object.entries(archives)) {
    expect(archive.digest, `${name}.tar`).toBe(await referenceArchiveDigest(name as ModuleName))
  }
}

/** The emitted file of a module, found by its name prefix (Vite, Rollup, esbuild: `<name>-<hash>.wasm`). */
export function emittedFile(files: string[], name: string): string {
  const found = files.filter((file) => file.split('/').pop()!.startsWith(`${name}-`))
  expect(found, `one emitted ${name}-*.wasm among ${files.join(', ')}`).toHaveLength(1)
  return found[0]!
}
