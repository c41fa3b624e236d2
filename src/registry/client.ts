import type { Readable } from 'node:stream'
import { WasmOciError, errnoCode } from '../core/errors.ts'
import { Authenticator } from './auth.ts'
import { RegistryResponseError, RetryableError } from './errors.ts'
import { type HttpResponse, Transport, discard, readText } from './http.ts'
import { withRetries } from './retry.ts'
import { isLoopback } from './target.ts'
import type { RegistryOptions } from './types.ts'

const MAX_REDIRECTS = 5
/** What a TLS handshake with a plain-HTTP server fails with. */
const NOT_TLS = /wrong version number|packet length too long|http request|unknown protocol/i
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/

export interface ClientRequest {
  method: string
  /** A path below the registry (`/v2/…`) or an absolute URL (an upload's Location). */
  url: string | URL
  /** Token scopes the request needs, e.g. `repository:demo/app:pull,push`. */
  scopes: string[]
  headers?: Record<string, string>
  /** Bytes can be sent again after a 401; a stream cannot, so a 401 then fails the attempt as retryable. */
  body?: Uint8Array | Readable
}

/**
 * One registry: its base URL (HTTPS, or plain HTTP where allowed), one connection pool, one
 * authenticator. `send` answers 401s and follows redirects; `retry` wraps a whole step.
 */
export class RegistryClient {
  readonly registry: string
  private readonly transport: Transport
  private readonly auth: Authenticator
  private base: Promise<URL> | undefined

  constructor(
    registry: string,
    private readonly apiHost: string,
    private readonly options: RegistryOptions = {},
  ) {
    this.registry = registry
    this.transport = new Transport(options)
    this.auth = new Authenticator(registry, this.transport, options)
  }

  /** Runs a whole step again after a 5xx, a 429 or a reset, as the options allow. */
  retry<T>(what: string, step: (attempt: number) => Promise<T>): Promise<T> {
    return withRetries(what, this.options, step)
  }

  async send(request: ClientRequest): Promise<HttpResponse> {
    const base = await this.ping()
    let url = new URL(request.url, base)
    let headers = request.headers ?? {}
    for (let tries = 0, redirects = 0; ; ) {
      const authorization = url.origin === base.origin ? await this.auth.authorization(request.scopes) : undefined
      const response = await this.transport.send({ method: request.method, url, headers: { ...headers, ...(authorization && { authorization }) }, body: request.body })
      const location = response.headers.location
      if (response.status === 401 && url.origin === base.origin) {
        await discard(response)
        if (tries++ > 0 || !this.auth.learn(response.headers, authorization)) throw await this.auth.failure()
        if (request.body !== undefined && !(request.body instanceof Uint8Array)) throw new RetryableError(`${this.registry} asked for fresh credentials in the middle of a ${request.method}`)
        continue
      }
      if (response.status >= 300 && response.status < 400 && location && (request.method === 'GET' || request.method === 'HEAD')) {
        await discard(response)
        if (++redirects > MAX_REDIRECTS) throw new WasmOciError(`${this.registry} redirected ${request.method} ${url.pathname} more than ${MAX_REDIRECTS} times: check the registry`)
        // Blob storage elsewhere (S3, a CDN) gets no registry credentials.
        url = new URL(location, url)
        headers = request.headers ?? {}
        continue
      }
      return response
    }
  }

  /** `send`, then fails with the registry's own error text unless the status is one of `ok`. */
  async expect(request: ClientRequest, ok: number[]): Promise<HttpResponse> {
    const response = await this.send(request)
    if (ok.includes(response.status)) return response
    throw new RegistryResponseError(response.status, response.headers, request.method === 'HEAD' ? '' : await readText(response).catch(() => ''))
  }

  close(): void {
    this.transport.close()
  }

  /**
   * `GET /v2/` once: learns the auth challenge and whether the registry speaks TLS. HTTPS is
   * tried first; plain HTTP only for loopback hosts or with `insecure`, as docker does.
   */
  ping(): Promise<URL> {
    this.base ??= this.findBase().catch((error: unknown) => {
      this.base = undefined
      throw error
    })
    return this.base
  }

  private async findBase(): Promise<URL> {
    const https = new URL(`https://${this.apiHost}/`)
    try {
      await this.probe(https)
      return https
    } catch (error) {
      const plainAllowed = isLoopback(this.apiHost) || this.options.insecure === true
      const code = errnoCode(error) ?? ''
      if (!plainAllowed || !(NOT_TLS.test(String((error as Error).message)) || code === 'EPROTO')) throw this.describeConnectError(error, https)
    }
    const http = new URL(`http://${this.apiHost}/`)
    try {
      await this.probe(http)
    } catch (error) {
      throw this.describeConnectError(error, http)
    }
    return http
  }

  private async probe(base: URL): Promise<void> {
    const response = await this.transport.send({ method: 'GET', url: new URL('/v2/', base) })
    await discard(response)
    if (response.status === 401) this.auth.learn(response.headers)
    else if (response.status >= 500) throw new RegistryResponseError(response.status, response.headers, '')
    else if (response.status !== 200) throw new WasmOciError(`${base.origin}/v2/ answered HTTP ${response.status}: ${this.registry} does not look like an OCI registry; check the host and port`)
  }

  private describeConnectError(error: unknown, base: URL): unknown {
    if (error instanceof WasmOciError || error instanceof RegistryResponseError) return error
    const code = errnoCode(error) ?? ''
    if (CERT_CODES.test(code)) {
      return new WasmOciError(`the TLS certificate of ${this.registry} is not trusted (${code}): pass --ca-file with the CA that signed it (or set NODE_EXTRA_CA_CERTS), or --insecure to skip the check`, { cause: error })
    }
    if (code === 'ECONNREFUSED') return new WasmOciError(`cannot connect to ${base.origin} (ECONNREFUSED): is the registry ${this.registry} running, and are host and port right?`, { cause: error })
    return error
  }
}
