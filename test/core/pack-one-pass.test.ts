import { readFile, readdir, mkdir, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type PlanInput, planImage } from '../../src/core/formats/index.ts'
import { planProvisionally, writeProvisional } from '../../src/core/pack-one-pass.ts'
import { packImage, writeArchive } from '../../src/core/pack.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import { compileFixture, tempDir } from '../helpers/wat.ts'

const temp = await tempDir()
afterAll(temp.cleanup)
const hello = await compileFixture('hello', temp.dir)
const greet = await compileFixture('greet', temp.dir)
const add = await compileFixture('add', temp.dir)
const copyOfHello = join(temp.dir, 'hello-copy.wasm')
await writeFile(copyOfHello, await readFile(hello))
await writeFile(join(temp.dir, 'extra.json'), '{"a":1}')
const image = { name: 'hello', repo: 'example.com/demo', tag: 'v1' }

/** The two-pass reference: hash everything, then write the tar from the finished plan. */
async function twoPass(input: Omit<PlanInput, 'sourceDateEpoch'>, output: string): Promise<Buffer> {
  await writeArchive([await planImage({ ...input, sourceDateEpoch: 1700000000 })], { output, sourceDateEpoch: 1700000000 })
  return readFile(output)
}

describe('packImage reads each layer once and writes the same bytes as planning first', () => {
  it.each<[string, Omit<PlanInput, 'sourceDateEpoch'>]>([
    ['runwasi, 1 module', { ...image, modules: [hello] }],
    ['runwasi, 3 modules', { ...image, modules: [hello, greet, add] }],
    ['runwasi, a module and a --layer', { ...image, modules: [hello], layers: [{ mediaType: 'application/json', path: join(temp.dir, 'extra.json') }] }],
    ['runwasi, one path twice', { ...image, modules: [hello, hello] }],
    ['runwasi, the same bytes at two paths (layout changes: written again)', { ...image, modules: [hello, copyOfHello] }],
    ['artifact', { ...image, format: 'artifact', modules: [hello] }],
    ['compat', { ...image, format: 'compat', modules: [hello] }],
    ['compat with gzip (planned first: its size is unknown up front)', { ...image, format: 'compat', compression: 'gzip', modules: [hello] }],
  ])('%s', async (name, input) => {
    const dir = join(temp.dir, name.replace(/\W+/g, '-'))
    const summary = await packImage({ ...input, output: join(dir, 'one-pass.tar'), sourceDateEpoch: 1700000000 })
    const reference = await twoPass(input, join(dir, 'two-pass.tar'))
    expect((await readFile(summary.path)).equals(reference)).toBe(true)
    expect((await verifyArchive(summary.path)).problems).toEqual([])
    expect(summary.manifest.digest).toBe((await verifyArchive(summary.path)).images[0]!.manifest.digest)
  })

  it('knows the layout up front except for a gzip layer', async () => {
    expect(await planProvisionally({ ...image, modules: [hello], sourceDateEpoch: 0 })).toBeDefined()
    expect(await planProvisionally({ ...image, format: 'compat', compression: 'gzip', modules: [hello], sourceDateEpoch: 0 })).toBeUndefined()
  })

  it('fails, leaving no file, when a module shrinks between planning and writing', async () => {
    const dir = join(temp.dir, 'shrinks')
    await mkdir(dir)
    const module = join(dir, 'm.wasm')
    await writeFile(module, await readFile(hello))
    const input = { ...image, modules: [module], sourceDateEpoch: 0 }
    const provisional = await planProvisionally(input)
    await truncate(module, 40)
    await expect(writeProvisional(provisional!, input, join(dir, 'out.tar'), 0)).rejects.toThrow(/Size mismatch/i)
    await expect(packImage({ ...image, modules: [join(dir, 'missing.wasm')], output: join(dir, 'x.tar') })).rejects.toThrow(/missing.wasm" does not exist/)
  })

  it('names a --layer that is a directory or missing, before writing anything', async () => {
    const dir = join(temp.dir, 'bad-layers')
    await mkdir(join(dir, 'sub'), { recursive: true })
    const output = join(dir, 'new', 'x.tar')
    await expect(packImage({ ...image, modules: [hello], layers: [{ mediaType: 'x/y', path: join(dir, 'sub') }], output })).rejects.toThrow(/cannot read ".*sub" \(EISDIR\)/)
    await expect(packImage({ ...image, modules: [hello], layers: [{ mediaType: 'x/y', path: join(dir, 'nope') }], output })).rejects.toThrow(/cannot read ".*nope" \(ENOENT\)/)
    expect(await readdir(dir)).toEqual(['sub'])
  })
})
