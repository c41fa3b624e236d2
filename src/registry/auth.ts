import type { IncomingHttpHeaders } from 'node:http'
import { WasmOciError } from '../core/errors.ts'
import { type Challenge, parseChallenge } from './challenge.ts'
import { type CredentialSources, ENV_PASSWORD, ENV_USERNAME, type ResolvedCredentials, resolveCredentials } from './credentials.ts'
import { RegistryResponseError } from './errors.ts'
import { type Transport, readText } from './http.ts'
import { isLoopback } from './target.ts'

/** Tokens without `expires_in` live 60 s (the distribution token spec's default). */
const DEFAULT_TOKEN_SECONDS = 60
/** Renew a token this long before it expires. */
const TOKEN_MARGIN_SECONDS = 10
const CLIENT_ID = 'wasm-oci'

interface CachedToken {
  value: string
  expiresAt: number
}

/** A token being fetched (`token` unset) or fetched; concurrent requests share one fetch. */
interface TokenEntry {
  pending: Promise<CachedToken>
  token?: CachedToken
}

/**
 * Answers a registry's challenge: Basic with the credentials, or Bearer with a token from the
 * challenge's realm for the request's scopes (`repository:NAME:pull,push`), cached per scope set.
 * Credentials are looked up only once a challenge asks for them.
 */
export class Authenticator {
  private challenge: Challenge | undefined
  private credentials: Promise<ResolvedCredentials | undefined> | undefined
  private readonly tokens = new Map<string, TokenEntry>()
  /** Tokens a registry answered 401 to: refetched once, however many requests saw the 401. */
  private readonly refused = new Set<string>()

  constructor(
    private readonly registry: string,
    private readonly transport: Transport,
    private readonly sources: CredentialSources & { insecure?: boolean },
  ) {}

  /**
   * Learns the scheme from a 401's `WWW-Authenticate` to a request that carried `sent`; false
   * when there is nothing new to try.
   */
  learn(headers: IncomingHttpHeaders, sent?: string): boolean {
    const challenge = parseChallenge(headers['www-authenticate'])
    if (!challenge) return false
    const first = this.challenge === undefined || this.challenge.scheme !== challenge.scheme
    this.challenge = challenge
    if (challenge.scheme === 'basic') return first
    // A bearer 401 means an expired token or a scope it lacked: fetch a fresh one, once.
    if (sent?.startsWith('Bearer ')) this.refused.add(sent.slice('Bearer '.length))
    return true
  }

  /** The `Authorization` value for a request that needs `scopes`; undefined when anonymous. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const challenge = this.challenge
    if (!challenge) return undefined
    const credentials = await this.resolve()
    if (challenge.scheme === 'basic') return credentials?.password !== undefined ? basic(credentials) : undefined
    const key = [...new Set(scopes)].sort().join(' ')
    const entry = this.tokens.get(key)
    const usable = entry && (!entry.token || (entry.token.expiresAt > Date.now() && !this.refused.has(entry.token.value)))
    if (usable) return `Bearer ${(await entry.pending).value}`
    const fresh: TokenEntry = { pending: this.fetchToken(challenge, scopes, credentials) }
    this.tokens.set(key, fresh)
    try {
      fresh.token = await fresh.pending
    } catch (error) {
      if (this.tokens.get(key) === fresh) this.tokens.delete(key)
      throw error
    }
    return `Bearer ${fresh.token.value}`
  }

  /** The error for a 401 that fresh credentials or tokens did not cure. Names no secret. */
  async failure(): Promise<WasmOciError> {
    const credentials = await this.resolve()
    if (!credentials) {
      return new WasmOciError(`${this.registry} requires authentication and no credentials were found: set ${ENV_USERNAME} and ${ENV_PASSWORD}, or run \`docker login ${this.registry}\``)
    }
    const who = credentials.identityToken !== undefined && credentials.password === undefined ? 'the identity token' : `the credentials of user "${credentials.username ?? ''}"`
    return new WasmOciError(`${this.registry} refused ${who} from ${credentials.source}: check them, or log in again with \`docker login ${this.registry}\``)
  }

  private resolve(): Promise<ResolvedCredentials | undefined> {
    this.credentials ??= resolveCredentials(this.registry, this.sources)
    return this.credentials
  }

  private async fetchToken(challenge: Challenge, scopes: string[], credentials: ResolvedCredentials | undefined): Promise<CachedToken> {
    const realm = this.realmUrl(challenge)
    const service = challenge.params.service
    let response
    if (credentials?.identityToken !== undefined) {
      // docker's OAuth2 refresh-token grant: what an `identitytoken` in config.json is for.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: CLIENT_ID, ...(service && { service }) })
      if (scopes.length > 0) form.set('scope', scopes.join(' '))
      response = await this.transport.send({ method: 'POST', url: realm, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) })
    } else {
      if (service) realm.searchParams.set('service', service)
      for (const scope of scopes) realm.searchParams.append('scope', scope)
      const headers: Record<string, string> = credentials?.password !== undefined ? { authorization: basic(credentials) } : {}
      response = await this.transport.send({ method: 'GET', url: realm, headers })
    }
    const text = await readText(response)
    if (response.status === 401 || response.status === 403) throw await this.failure()
    if (response.status !== 200) throw new RegistryResponseError(response.status, response.headers, text)
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      throw new WasmOciError(`the token server ${realm.origin} for ${this.registry} answered something other than JSON: check the registry's auth configuration`)
    }
    const value = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token
    if (typeof value !== 'string' || value === '') throw new WasmOciError(`the token server ${realm.origin} for ${this.registry} sent no token: check the registry's auth configuration`)
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS
    return { value, expiresAt: Date.now() + Math.max(1, seconds - TOKEN_MARGIN_SECONDS) * 1000 }
  }

  private realmUrl(challenge: Challenge): URL {
    const realm = challenge.params.realm
    let url: URL | undefined
    try {
      url = new URL(realm ?? '')
    } catch {}
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new WasmOciError(`${this.registry} asks for a bearer token but names no usable realm (${JSON.stringify(realm)}): check the registry's auth configuration`)
    }
    if (url.protocol === 'http:' && !isLoopback(url.host) && this.sources.insecure !== true) {
      throw new WasmOciError(`${this.registry} sends credentials to a plain-HTTP token server (${url.origin}): refused; use --insecure only if you trust the network`)
    }
    return url
  }
}

function basic(credentials: ResolvedCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')}`
}
