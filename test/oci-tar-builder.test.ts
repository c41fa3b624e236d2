import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyArchive } from '../src/core/verify.ts'
import { compileFixture, tempDir } from './helpers/wat.ts'

const CLI = fileURLToPath(new URL('../dist/cli/oci-tar-builder.js', import.meta.url))
const temp = await tempDir()
afterAll(temp.cleanup)
const hello = await compileFixture('hello', temp.dir)
const greet = await compileFixture('greet', temp.dir)

async function run(args: string[], env: Record<string, string> = {}, cwd = temp.dir) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

describe('oci-tar-builder', () => {
  it('packs modules with runwasi\'s flags and reports the digest', async () => {
    const out = join(temp.dir, 'out', 'img.tar')
    const result = await run(['-n', 'hello', '-r', 'localhost:5000/demo', '-t', 'v1', '-m', hello, '--module', greet, '-o', out])
    expect(result.code).toBe(0)
    const verification = await verifyArchive(out)
    expect(verification.problems).toEqual([])
    expect(result.stdout).toContain(`localhost:5000/demo/hello:v1 ${verification.images[0]!.manifest.digest} (2 layers`)
  })

  it('writes ./NAME.tar by default', async () => {
    const cwd = join(temp.dir, 'default-out')
    await mkdir(cwd)
    expect((await run(['-n', 'hello', '-r', 'r', '-t', 't', '-m', hello], {}, cwd)).code).toBe(0)
    expect(await readdir(cwd)).toEqual(['hello.tar'])
  })

  it('takes -c DIR in name order, and -l MEDIATYPE=PATH layers after the modules', async () => {
    const components = join(temp.dir, 'components')
    await mkdir(components)
    await writeFile(join(components, 'b.wasm'), await readFile(greet))
    await writeFile(join(components, 'a.wasm'), await readFile(hello))
    await writeFile(join(components, 'notes.txt'), 'ignored')
    await writeFile(join(temp.dir, 'extra.json'), '{}')
    const out = join(temp.dir, 'components.tar')
    expect((await run(['-n', 'x', '-r', 'r', '-t', 't', '-c', components, '-l', `application/json=${join(temp.dir, 'extra.json')}`, '-o', out])).code).toBe(0)
    const [image] = (await verifyArchive(out)).images
    expect(image!.layers.map((layer) => [layer.mediaType, layer.size])).toEqual([
      ['application/vnd.bytecodealliance.wasm.component.layer.v0+wasm', 133],
      ['application/vnd.bytecodealliance.wasm.component.layer.v0+wasm', 137],
      ['application/json', 2],
    ])
  })

  it('prints --help and --version', async () => {
    expect((await run(['--help'])).stdout).toMatch(/-m, --module PATH/)
    expect((await run(['--version'])).stdout).toMatch(/^oci-tar-builder \d+\.\d+\.\d+\n$/)
  })

  const notWasm = join(temp.dir, 'bad', 'not.wasm')
  const truncated = join(temp.dir, 'bad', 'truncated.wasm')
  const empty = join(temp.dir, 'bad', 'empty.wasm')
  const plainFile = join(temp.dir, 'bad', 'plain')
  const dirOutput = join(temp.dir, 'bad', 'dir.tar')
  const base = ['-n', 'hello', '-r', 'example.com/demo', '-t', 'v1']
  it.each([
    ['a missing module', [...base, '-m', 'missing.wasm'], {}, /module "missing.wasm" does not exist/],
    ['a directory as module', [...base, '-m', '.'], {}, /module "\." is a directory/],
    ['a module that is not wasm', [...base, '-m', notWasm], {}, /not.wasm" is not a WebAssembly binary/],
    ['a truncated header', [...base, '-m', truncated], {}, /truncated.wasm" is truncated: 5 bytes/],
    ['an empty module', [...base, '-m', empty], {}, /empty.wasm" is empty \(0 bytes\)/],
    ['an uppercase name', ['-n', 'Hello', '-r', 'r', '-t', 't', '-m', hello], {}, /image name "Hello" is not a valid repository name/],
    ['a repo with a space', ['-n', 'hello', '-r', 'my repo', '-t', 't', '-m', hello], {}, /"my repo".*not a valid repository name/],
    ['a repo with ..', ['-n', 'hello', '-r', 'a/../b', '-t', 't', '-m', hello], {}, /not a valid repository name \("\.\."\)/],
    ['a tag over 128 characters', ['-n', 'hello', '-r', 'r', '-t', 'x'.repeat(129), '-m', hello], {}, /tag "x{129}" is not a valid tag: use at most 128/],
    ['a malformed SOURCE_DATE_EPOCH', [...base, '-m', hello], { SOURCE_DATE_EPOCH: '12.5' }, /SOURCE_DATE_EPOCH "12.5" is not a whole/],
    ['an output under a regular file', [...base, '-m', hello, '-o', join(plainFile, 'x.tar')], {}, /output ".*plain\/x.tar": a parent of it is a regular file/],
    ['a directory as output', [...base, '-m', hello, '-o', dirOutput], {}, /output ".*dir.tar" is a directory/],
    ['an empty output path', [...base, '-m', hello, '-o', ''], {}, /output is empty: give the path of the archive to write/],
    ['a --layer without =', [...base, '-m', hello, '-l', 'application/json'], {}, /-l\/--layer "application\/json" is not MEDIATYPE=PATH/],
    ['both -m and -c', [...base, '-m', hello, '-c', '.'], {}, /either -m\/--module or -c\/--components, not both/],
    ['neither -m nor -c', base, {}, /give the wasm to pack/],
    ['a missing --tag', ['-n', 'hello', '-r', 'r', '-m', hello], {}, /-t\/--tag is required/],
    ['an unknown flag', [...base, '-m', hello, '--gzip'], {}, /Unknown option '--gzip'/],
  ])('rejects %s: exit 2, one clear message, nothing written', async (_, args, env, message) => {
    const dir = join(temp.dir, 'bad')
    await mkdir(join(dir, 'dir.tar'), { recursive: true })
    await writeFile(notWasm, '(module)')
    await writeFile(truncated, new Uint8Array([0, 0x61, 0x73, 0x6d, 1]))
    await writeFile(empty, '')
    await writeFile(plainFile, 'x')
    const before = (await readdir(dir)).sort()
    const result = await run(args as string[], env, dir)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr.trim().split('\n').filter((line) => !line.startsWith('Run '))).toHaveLength(1)
    expect((await readdir(dir)).sort()).toEqual(before)
  })
})
