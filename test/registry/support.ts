import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { type Socket, createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { packImage } from '../../src/core/pack.ts'
import type { Containerd, Registry } from '../helpers/daemons.ts'
import { assertOk, httpRequest, makeTempDir, onCleanup, run, runOk, type RunResult } from '../helpers/tools.ts'
import { compileFixture } from '../helpers/wat.ts'

export const CLI = fileURLToPath(new URL('../../dist/cli/wasm-oci.js', import.meta.url))
/** htpasswd line for tester:s3cret (bcrypt cost 4), as in the harness test. */
export const HTPASSWD = 'tester:$2b$04$z5Hhd2tN9BgTdepdBZR88e46XtiAwWdmc3n9MMkIiFKtqgJKQJHte\n'
export const USER = 'tester'
export const PASSWORD = 's3cret'

export interface TestArchive {
  path: string
  reference: string
  digest: string
}

/** The hello fixture packed as a runwasi image named `reference`, plus a random layer of `extraBytes` when given. */
export async function buildArchive(dir: string, reference: string, extraBytes = 0): Promise<TestArchive> {
  const colon = reference.lastIndexOf(':')
  const slash = reference.lastIndexOf('/')
  const module = await compileFixture('hello', dir)
  const layers = []
  if (extraBytes > 0) {
    const path = join(dir, `extra-${extraBytes}.bin`)
    await writeFile(path, randomBytes(extraBytes))
    layers.push({ mediaType: 'application/octet-stream', path })
  }
  const path = join(dir, `${reference.replace(/[^\w.-]+/g, '_')}.tar`)
  const summary = await packImage({ name: reference.slice(slash + 1, colon), repo: reference.slice(0, slash), tag: reference.slice(colon + 1), modules: [module], layers, output: path })
  return { path, reference, digest: summary.manifest.digest }
}

/**
 * `node dist/cli/wasm-oci.js args…` with exactly this environment, plus PATH, HOME and a
 * DOCKER_CONFIG that does not exist (so the developer's own docker login never leaks in).
 */
export function wasmOci(args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<RunResult> {
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: '/nonexistent/wasm-oci-test-docker-config' }
  return run(process.execPath, [CLI, ...args], { env: { ...base, ...env }, ...(input !== undefined && { input }) })
}

export async function wasmOciOk(args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<RunResult> {
  const result = await wasmOci(args, env, input)
  if (result.code !== 0) throw new Error(`wasm-oci ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
  return result
}

/**
 * `ctr content fetch` the image and return the manifest digest containerd recorded for it. ctr
 * talks plain HTTP to 127.0.0.1 unless a hosts.toml says https (with the CA to trust).
 */
export async function ctrFetchDigest(containerd: Containerd, reference: string, opts: { ca?: string, user?: string } = {}): Promise<string> {
  const host = reference.slice(0, reference.indexOf('/'))
  let flags = ['--plain-http']
  if (opts.ca) {
    const hostsDir = await makeTempDir('ctr-hosts')
    await mkdir(join(hostsDir, host))
    await writeFile(join(hostsDir, host, 'hosts.toml'), `server = "https://${host}"\n\n[host."https://${host}"]\n  capabilities = ["pull", "resolve"]\n  ca = ${JSON.stringify(opts.ca)}\n`)
    flags = ['--hosts-dir', hostsDir]
  }
  const fetchArgs = ['content', 'fetch', ...flags, ...(opts.user ? ['--user', opts.user] : []), '--all-platforms', reference]
  assertOk(await containerd.ctr(fetchArgs, { timeout: 30_000 }), 'ctr', fetchArgs)
  const listArgs = ['images', 'ls']
  const rows = assertOk(await containerd.ctr(listArgs), 'ctr', listArgs).stdout.split('\n').map(line => line.trim().split(/\s+/))
  const row = rows.find(cols => cols[0] === reference)
  if (!row) throw new Error(`ctr images ls lists no ${reference} after ctr content fetch`)
  return row[2]!
}

export interface LoggedRequest {
  method: string
  uri: string
  status: number
}

let sentinels = 0

/**
 * Every request the registry logged ("response completed" lines at level info), in order. The
 * registry logs a request after answering it, so a sentinel request goes first and its line is
 * awaited: every request answered before it has been logged by then.
 */
export async function registryRequests(registry: Registry): Promise<LoggedRequest[]> {
  const sentinel = `sentinel=${++sentinels}`
  await httpRequest(`${registry.url}/v2/?${sentinel}`)
  const deadline = Date.now() + 5000
  let log = await readFile(registry.logPath, 'utf8')
  while (!log.includes(sentinel) && Date.now() < deadline) {
    await sleep(10)
    log = await readFile(registry.logPath, 'utf8')
  }
  return [...log.matchAll(/msg="response completed[^"]*".*?http\.request\.method=(\w+) .*?http\.request\.uri="?([^"\s]+)"? .*?http\.response\.status=(\d+)/g)]
    .map(([, method, uri, status]) => ({ method: method!, uri: uri!, status: Number(status) }))
    .filter(request => !request.uri.includes('sentinel='))
}

/** The blob-upload requests among them: POST (open or mount), PATCH and PUT under /blobs/uploads/. */
export function uploads(requests: LoggedRequest[]): LoggedRequest[] {
  return requests.filter(request => request.uri.includes('/blobs/uploads/'))
}

/** A CA, and a certificate for 127.0.0.1 it issued, for a TLS registry trusted only through --ca-file. */
export async function makeTlsCertificates(dir: string): Promise<{ ca: string, certificate: string, key: string }> {
  const [caKey, ca, key, csr, certificate, ext] = ['ca.key', 'ca.crt', 'tls.key', 'tls.csr', 'tls.crt', 'ext.cnf'].map(name => join(dir, name)) as [string, string, string, string, string, string]
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  await runOk('openssl', ['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=wasm-oci test CA', '-keyout', caKey, '-out', ca])
  await runOk('openssl', ['req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', csr])
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1\n')
  await runOk('openssl', ['x509', '-req', '-days', '1', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-extfile', ext, '-out', certificate])
  return { ca, certificate, key }
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: push here instead of the registry. */
  host: string
  /** Faults that fired, in order. */
  fired: string[]
  /** Resets both connections once, `afterBytes` into the next blob upload request body (PATCH or PUT). */
  resetUploadOnce(afterBytes: number): void
  /** Answers the next `times` requests whose first line matches with `500` instead of forwarding them. */
  fail(firstLine: RegExp, times?: number): void
  /** Disarms every fault not fired yet. */
  clear(): void
}

const FAULT_BODY = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected by the fault proxy' }] })
const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.1\r\n/

/**
 * A TCP proxy in front of the registry that injects faults. It sees raw bytes only: a request
 * starts where a chunk from the client starts with a request line (clients wait for each answer).
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string]
  let reset: number | undefined
  let fail: { pattern: RegExp, times: number } | undefined
  const fired: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const server = connect(Number(upPort), upHost)
    sockets.add(client).add(server)
    client.on('close', () => sockets.delete(client))
    server.on('close', () => sockets.delete(server))
    let counting: number | undefined
    client.on('data', (chunk: Buffer) => {
      const line = REQUEST_LINE.exec(chunk.subarray(0, 512).toString('latin1'))
      if (line) {
        const [firstLine] = line
        if (fail?.pattern.test(firstLine.trim())) {
          fired.push(`500 for ${firstLine.trim()}`)
          if (--fail.times === 0) fail = undefined
          client.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(FAULT_BODY)}\r\nconnection: close\r\n\r\n${FAULT_BODY}`)
          server.destroy()
          return
        }
        counting = reset !== undefined && /^(PATCH|PUT)$/.test(line[1]!) && line[2]!.includes('/blobs/uploads/') ? 0 : undefined
      }
      if (counting !== undefined && reset !== undefined) {
        counting += chunk.length
        if (counting > reset) {
          fired.push(`reset ${counting} bytes into an upload`)
          reset = undefined
          client.resetAndDestroy()
          server.resetAndDestroy()
          return
        }
      }
      if (!server.write(chunk)) {
        client.pause()
        server.once('drain', () => client.resume())
      }
    })
    server.pipe(client)
    client.on('error', () => server.destroy())
    server.on('error', () => client.destroy())
    client.on('end', () => server.end())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    fired,
    resetUploadOnce(afterBytes) {
      reset = afterBytes
    },
    fail(pattern, times = 1) {
      fail = { pattern, times }
    },
    clear() {
      fail = undefined
      reset = undefined
    },
  }
}
