import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { type IncomingHttpHeaders, request as httpRequestRaw } from 'node:http'
import { request as httpsRequestRaw } from 'node:https'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll } from 'vitest'

/** The Debian 12 package behind each tool the consumer tests drive (what `.ci/run` installs). */
const APT_PACKAGES: Record<string, string> = {
  'skopeo': 'skopeo',
  'umoci': 'umoci',
  'docker-registry': 'docker-registry',
  'containerd': 'containerd',
  'ctr': 'containerd',
  'podman': 'podman',
  'wasm-validate': 'wabt',
  'wat2wasm': 'wabt',
  'jq': 'jq',
  'curl': 'curl',
  'ss': 'iproute2',
  'openssl': 'openssl',
  'tar': 'tar',
  'git': 'git',
}

const DEFAULT_TIMEOUT_MS = 60_000
const STDERR_TAIL = 2000
const SHORT_BASE_MAX = 16

/** The apt package that provides `tool`. */
export function aptPackage(tool: string): string {
  return APT_PACKAGES[tool] ?? tool
}

/** Whether an executable named `name` is on PATH (no subprocess). */
export function hasTool(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', name), constants.X_OK)
      return true
    }
    catch {
      return false
    }
  })
}

/**
 * For `describe.skipIf(!requireTools('skopeo', 'ctr'))(…)`: whether every tool is on PATH.
 * A missing tool prints the reason and skips; under `CI=true` it throws, so the file fails
 * instead of skipping in silence.
 */
export function requireTools(...names: string[]): boolean {
  const missing = names.filter(name => !hasTool(name))
  if (missing.length === 0) return true
  const packages = [...new Set(missing.map(aptPackage))].join(' ')
  const install = `apt-get install -y --no-install-recommends ${packages}`
  if (process.env.CI === 'true')
    throw new Error(`${missing.join(', ')} not on PATH, and under CI=true a missing tool fails instead of skipping: install it with \`${install}\` (as .ci/run does)`)
  console.warn(`[unplugin-wasm-oci tests] skipping: ${missing.join(', ')} not on PATH; install with \`${install}\``)
  return false
}

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Written to stdin, which is then closed (stdin is closed empty otherwise). */
  input?: string | Uint8Array
  /** Killed with SIGKILL after this long. @default 60000 */
  timeout?: number
}

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
}

/** Runs `cmd args…` directly (no shell); resolves whatever the exit code, rejects only when it cannot start. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, opts.timeout ?? DEFAULT_TIMEOUT_MS)
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stdin.on('error', () => {}) // the tool may exit without reading its input
    child.stdin.end(opts.input)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${cmd}: ${error.message} (apt package: ${aptPackage(cmd)})`, { cause: error }))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      })
    })
  })
}

/** Throws unless `result` is a zero exit, with the command line and the tail of its stderr. */
export function assertOk(result: RunResult, cmd: string, args: readonly string[]): RunResult {
  if (result.code === 0) return result
  const how = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`
  const output = (result.stderr.trim() || result.stdout.trim()).slice(-STDERR_TAIL)
  throw new Error(`\`${[cmd, ...args].join(' ')}\` ${how}: ${output || '(no output)'}`)
}

/** `run`, but a non-zero exit throws (see `assertOk`). */
export async function runOk(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
  return assertOk(await run(cmd, args, opts), cmd, args)
}

export interface HttpRequestOptions {
  method?: string
  headers?: Record<string, string>
  /** @default 10000 */
  timeout?: number
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One HTTP(S) request without keep-alive; any certificate is accepted (the tests' own registries). */
export function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const send = url.startsWith('https:') ? httpsRequestRaw : httpRequestRaw
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      timeout: opts.timeout ?? 10_000,
      agent: false,
      rejectUnauthorized: false,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

const cleanups: Array<() => Promise<void> | void> = []

/** Runs `fn` in this test file's `afterAll`, after anything registered later (last in, first out). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn)
}

/** Runs every registered cleanup now; the first error is rethrown after all have run. */
export async function runCleanups(): Promise<void> {
  const errors: unknown[] = []
  for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) {
    try {
      await fn()
    }
    catch (error) {
      errors.push(error)
    }
  }
  if (errors.length > 0) throw errors[0]
}

// Module scope runs while vitest collects the importing file (one module graph per file by
// default), so this hook belongs to that file and runs even when its tests fail.
afterAll(runCleanups)

/**
 * A fresh directory under the system temp dir, removed after the file's tests. `short` falls back
 * to /tmp under a long TMPDIR, for unix sockets (108 bytes) and podman's --runroot (50).
 */
export async function makeTempDir(prefix: string, { short = false } = {}): Promise<string> {
  const base = short && tmpdir().length > SHORT_BASE_MAX ? '/tmp' : tmpdir()
  const dir = await mkdtemp(join(base, `wasm-oci-${prefix}-`))
  onCleanup(() => rm(dir, { recursive: true, force: true }))
  return dir
}
