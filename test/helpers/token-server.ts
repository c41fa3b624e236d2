import { randomBytes, sign } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { makeTempDir, onCleanup, runOk } from './tools.ts'

const TOKEN_SECONDS = 300
const SERVICE = 'wasm-oci-test-registry'
const ISSUER = 'wasm-oci-test-token-server'

export interface TokenCertificates {
  /** The CA the registry trusts (`auth.token.rootcertbundle`). */
  caCert: string
  /** PEM private key of the leaf certificate that signs tokens. */
  signingKey: string
  /** The leaf certificate, PEM, issued by the CA: goes into each token's `x5c`. */
  signingCert: string
}

/** A CA and a signing certificate it issued, made with `openssl` (RSA, so tokens are RS256). */
export async function makeTokenCertificates(dir?: string): Promise<TokenCertificates> {
  const base = dir ?? await makeTempDir('token-certs')
  const [caKey, caCert, signingKey, csr, signingCert] = ['ca.key', 'ca.crt', 'signer.key', 'signer.csr', 'signer.crt'].map(name => join(base, name)) as [string, string, string, string, string]
  await runOk('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=wasm-oci test token CA', '-keyout', caKey, '-out', caCert])
  await runOk('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=wasm-oci test token signer', '-keyout', signingKey, '-out', csr])
  await runOk('openssl', ['x509', '-req', '-days', '1', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', signingCert])
  return { caCert, signingKey, signingCert }
}

export interface Access {
  type: string
  name: string
  actions: string[]
}

export interface TokenServerOptions {
  /** Accounts and passwords accepted with Basic auth on GET (and the password grant on POST). */
  users?: Record<string, string>
  /** OAuth2 refresh tokens (docker's `identitytoken`) and the account each stands for. */
  refreshTokens?: Record<string, string>
  /** What an account (undefined: anonymous) gets of what it asked. @default everything for accounts, nothing anonymous */
  grant?: (account: string | undefined, asked: Access) => string[]
}

export interface TokenRequest {
  method: string
  grant: 'basic' | 'anonymous' | 'refresh_token' | 'password'
  account?: string
  scopes: string[]
}

export interface TokenServer {
  /** For `startRegistry({ auth: { token: server.auth } })`. */
  auth: { realm: string, service: string, issuer: string, rootcertbundle: string }
  /** Every token request, in order (no secrets: account names and scopes). */
  requests: TokenRequest[]
  stop(): Promise<void>
}

/**
 * A token server for docker-registry's `auth.token` (FORMATS.md §6): GET with Basic or anonymous,
 * POST with the refresh-token or password grant; answers `{token, access_token, expires_in}` with
 * an RS256 JWT whose header carries the signing certificate in `x5c` and whose `aud` is a string.
 */
export async function startTokenServer(certs: TokenCertificates, opts: TokenServerOptions = {}): Promise<TokenServer> {
  const key = await readFile(certs.signingKey, 'utf8')
  const x5c = (await readFile(certs.signingCert, 'utf8')).replace(/-----[A-Z ]+-----|\s/g, '')
  const grant = opts.grant ?? ((account, asked) => (account === undefined ? [] : asked.actions))
  const requests: TokenRequest[] = []

  const issue = (account: string | undefined, scopes: string[]): string => {
    const access = scopes.flatMap(parseScope).map(asked => ({ ...asked, actions: grant(account, asked) })).filter(a => a.actions.length > 0)
    const now = Math.floor(Date.now() / 1000)
    const header = { alg: 'RS256', typ: 'JWT', x5c: [x5c] }
    const claims = { iss: ISSUER, sub: account ?? '', aud: SERVICE, exp: now + TOKEN_SECONDS, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
    return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://token')
    let request: TokenRequest
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req))
      const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
      if (form.get('grant_type') === 'refresh_token') {
        const account = opts.refreshTokens?.[form.get('refresh_token') ?? '']
        request = { method: 'POST', grant: 'refresh_token', ...(account !== undefined && { account }), scopes }
        if (account === undefined) return deny(res, requests, request)
      }
      else {
        const account = form.get('username') ?? ''
        request = { method: 'POST', grant: 'password', account, scopes }
        if (opts.users?.[account] !== form.get('password')) return deny(res, requests, request)
      }
    }
    else {
      const scopes = url.searchParams.getAll('scope')
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')
      if (!basic) request = { method: 'GET', grant: 'anonymous', scopes }
      else {
        const [account = '', ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')
        request = { method: 'GET', grant: 'basic', account, scopes }
        if (opts.users?.[account] !== rest.join(':')) return deny(res, requests, request)
      }
    }
    requests.push(request)
    const token = issue(request.account, request.scopes)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ token, access_token: token, expires_in: TOKEN_SECONDS, issued_at: new Date().toISOString() }))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500)
      res.end(String(error))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= new Promise(resolve => server.close(() => resolve()))
    server.closeAllConnections()
    return stopped
  }
  onCleanup(stop)
  return {
    auth: { realm: `http://127.0.0.1:${port}/token`, service: SERVICE, issuer: ISSUER, rootcertbundle: certs.caCert },
    requests,
    stop,
  }
}

function deny(res: ServerResponse, requests: TokenRequest[], request: TokenRequest): void {
  requests.push(request)
  res.writeHead(401, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] }))
}

/** `repository:NAME:pull,push` (NAME may hold ':' only in a registry host, which scopes never carry). */
function parseScope(scope: string): Access[] {
  const [type, name, actions] = scope.split(':')
  return type && name && actions ? [{ type, name, actions: actions.split(',') }] : []
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
