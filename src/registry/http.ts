import { readFileSync } from 'node:fs'
import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { rootCertificates } from 'node:tls'
import { WasmOciError, errnoCode } from '../core/errors.ts'

export const DEFAULT_TIMEOUT_MS = 120_000
/** Error bodies and JSON answers are small; a registry sending more is cut off here. */
const TEXT_LIMIT = 4 << 20
const USER_AGENT = 'wasm-oci'

export interface TransportOptions {
  insecure?: boolean
  caFile?: string
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

export interface HttpRequest {
  method: string
  url: URL
  headers?: Record<string, string>
  /** Bytes, or a stream that is piped once (the caller re-creates it for another attempt). */
  body?: Uint8Array | Readable
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Must be read or discarded, so the connection goes back to the pool. */
  body: IncomingMessage
}

/**
 * One keep-alive connection pool per registry client, over `node:http(s)` because a custom CA
 * per request needs an Agent (Node's `fetch` takes none without the undici package).
 */
export class Transport {
  private readonly http = new HttpAgent({ keepAlive: true })
  private readonly https: HttpsAgent
  private readonly timeoutMs: number

  constructor(options: TransportOptions = {}) {
    this.https = new HttpsAgent({ keepAlive: true, rejectUnauthorized: options.insecure !== true, ...(options.caFile && { ca: trustedCas(options.caFile, options.env ?? process.env) }) })
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const tls = request.url.protocol === 'https:'
    const send = tls ? httpsRequest : httpRequest
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...request.headers }
    if (request.body instanceof Uint8Array) headers['content-length'] ??= String(request.body.length)
    return new Promise((resolve, reject) => {
      let answered = false
      const req = send(request.url, { method: request.method, headers, agent: tls ? this.https : this.http }, (res) => {
        answered = true
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res })
      })
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer from ${request.url.host} in ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })))
      req.on('error', (error) => {
        if (!answered) reject(error)
      })
      const body = request.body
      if (body === undefined) req.end()
      else if (body instanceof Uint8Array) req.end(body)
      else {
        // The server may answer (and close) before the body is through, e.g. a 401: the answer wins.
        pipeline(body, req).catch((error: unknown) => {
          if (answered) return
          req.destroy(error as Error)
          reject(error)
        })
      }
    })
  }

  close(): void {
    this.http.destroy()
    this.https.destroy()
  }
}

/** Reads a response body as text, up to TEXT_LIMIT bytes. */
export async function readText(response: HttpResponse): Promise<string> {
  return Buffer.from(await readBytes(response, TEXT_LIMIT)).toString('utf8')
}

export async function readBytes(response: HttpResponse, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      response.body.destroy()
      throw new WasmOciError(`the registry sent more than ${limit} bytes where a small JSON document was expected: check the registry URL`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Lets the rest of a response go by so its connection can be reused. */
export function discard(response: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    response.body.once('end', resolve).once('close', resolve).once('error', () => resolve())
    response.body.resume()
  })
}

/** Node's roots, NODE_EXTRA_CA_CERTS and the file: giving `ca` replaces the defaults, so all three are passed. */
function trustedCas(caFile: string, env: NodeJS.ProcessEnv): string[] {
  const extra = env.NODE_EXTRA_CA_CERTS ? [readPem(env.NODE_EXTRA_CA_CERTS, 'NODE_EXTRA_CA_CERTS')] : []
  return [...rootCertificates, ...extra, readPem(caFile, 'CA file')]
}

function readPem(path: string, what: string): string {
  try {
    const pem = readFileSync(path, 'utf8')
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new WasmOciError(`${what} "${path}" holds no PEM certificate: give a file with "-----BEGIN CERTIFICATE-----" blocks`, { usage: true })
    return pem
  } catch (error) {
    if (error instanceof WasmOciError) throw error
    throw new WasmOciError(`cannot read ${what} "${path}" (${errnoCode(error) ?? String(error)}): check the path`, { cause: error, usage: true })
  }
}
