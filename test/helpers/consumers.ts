import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Containerd } from './daemons.ts'
import { assertOk, httpRequest, makeTempDir, runOk, type HttpResponse } from './tools.ts'

/** What a registry is asked for manifests: every image and index type skopeo may push. */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')

/** skopeo 1.9.3 ignores TMPDIR (it unpacks oci-archive: into /var/tmp) unless given --tmpdir. */
async function skopeo(args: readonly string[]): Promise<string> {
  const tmp = await makeTempDir('skopeo-tmp')
  return (await runOk('skopeo', ['--tmpdir', tmp, ...args])).stdout
}

function archiveRef(archive: string, ref?: string): string {
  return ref ? `oci-archive:${archive}:${ref}` : `oci-archive:${archive}`
}

export interface OciDirCopy {
  /** The OCI layout directory skopeo wrote. */
  dir: string
  tag: string
  /** `oci:DIR:TAG`, for `skopeoInspect` or another copy. */
  transportRef: string
}

/** `skopeo copy oci-archive:ARCHIVE[:ref] oci:DIR:tag`: skopeo verifies every blob's digest on the way. */
export async function skopeoCopyToOciDir(archive: string, ref?: string, { tag = 'latest' } = {}): Promise<OciDirCopy> {
  const dir = join(await makeTempDir('oci-dir'), 'layout')
  const transportRef = `oci:${dir}:${tag}`
  await skopeo(['copy', archiveRef(archive, ref), transportRef])
  return { dir, tag, transportRef }
}

export interface InspectedManifest {
  /** The manifest exactly as stored (skopeo inspect --raw). */
  raw: string
  manifest: unknown
  /** sha256 of `raw`. */
  digest: string
}

/** `skopeo inspect --raw TRANSPORT:REF`, e.g. `oci-archive:/x.tar` or `docker://host/repo:tag`. */
export async function skopeoInspect(transportRef: string, extraArgs: readonly string[] = []): Promise<InspectedManifest> {
  const raw = await skopeo(['inspect', '--raw', ...extraArgs, transportRef])
  return { raw, manifest: JSON.parse(raw), digest: `sha256:${createHash('sha256').update(raw).digest('hex')}` }
}

export interface RegistryAccess {
  /** Talk HTTPS (any certificate) instead of HTTP. */
  tls?: boolean
  username?: string
  password?: string
}

export interface PushOptions extends RegistryAccess {
  /** skopeo gzips uncompressed tar layers on the way (a new manifest digest) unless this is set. */
  preserveDigests?: boolean
  /** Which image of a multi-image archive (its org.opencontainers.image.ref.name). */
  ref?: string
}

export interface PushResult {
  /** `HOST/REPO:TAG` */
  reference: string
  /** The manifest digest the registry reports for the tag (Docker-Content-Digest). */
  digest: string
  /** The digest skopeo computed for what it pushed (--digestfile). */
  skopeoDigest: string
}

/** `skopeo copy oci-archive:ARCHIVE docker://HOST/REPO:TAG`, then asks the registry what it stored. */
export async function skopeoPush(archive: string, host: string, repoTag: string, opts: PushOptions = {}): Promise<PushResult> {
  const digestFile = join(await makeTempDir('skopeo-push'), 'digest')
  const reference = `${host}/${repoTag}`
  const creds = opts.username === undefined ? [] : ['--dest-creds', `${opts.username}:${opts.password ?? ''}`]
  const preserve = opts.preserveDigests ? ['--preserve-digests'] : []
  await skopeo(['copy', '--dest-tls-verify=false', ...creds, ...preserve, '--digestfile', digestFile, archiveRef(archive, opts.ref), `docker://${reference}`])
  const [repo, tag] = splitRepoTag(repoTag)
  return {
    reference,
    digest: await registryManifestDigest(host, repo, tag, opts),
    skopeoDigest: (await readFile(digestFile, 'utf8')).trim(),
  }
}

function splitRepoTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(':')
  if (colon <= 0 || repoTag.includes('/', colon)) throw new Error(`"${repoTag}" is not REPO:TAG (e.g. "demo/hello:v1")`)
  return [repoTag.slice(0, colon), repoTag.slice(colon + 1)]
}

async function registryRequest(host: string, path: string, method: string, access: RegistryAccess, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const url = `${access.tls ? 'https' : 'http'}://${host}/v2/${path}`
  if (access.username !== undefined)
    headers = { ...headers, authorization: `Basic ${Buffer.from(`${access.username}:${access.password ?? ''}`).toString('base64')}` }
  const res = await httpRequest(url, { method, headers })
  if (res.status !== 200) throw new Error(`${method} ${url} answered ${res.status}: ${res.body.trim() || '(no body)'}`)
  return res
}

/** `GET /v2/REPO/manifests/TAG` → the registry's own digest of the manifest (Docker-Content-Digest). */
export async function registryManifestDigest(host: string, repo: string, tag: string, access: RegistryAccess = {}): Promise<string> {
  const res = await registryRequest(host, `${repo}/manifests/${tag}`, 'GET', access, { accept: MANIFEST_ACCEPT })
  const digest = res.headers['docker-content-digest']
  if (typeof digest !== 'string') throw new Error(`${host}/${repo}:${tag}: the registry sent no Docker-Content-Digest header`)
  return digest
}

/** `HEAD /v2/REPO/blobs/DIGEST` → Content-Length: the bytes the registry holds (it hashed them on upload). */
export async function registryBlobSize(host: string, repo: string, digest: string, access: RegistryAccess = {}): Promise<number> {
  const res = await registryRequest(host, `${repo}/blobs/${digest}`, 'HEAD', access)
  return Number(res.headers['content-length'])
}

/**
 * `ctr images import --all-platforms [--no-unpack] ARCHIVE`. Debian's containerd 1.6.20 cannot unpack
 * wasm layers ("mismatched image rootfs and manifest layers"): import those with `unpack: false`.
 * Resolves to the image names in the namespace afterwards.
 */
export async function ctrImport(containerd: Containerd, archive: string, { unpack = false, snapshotter = 'native' } = {}): Promise<string[]> {
  // The native snapshotter copies files: it works where overlayfs cannot mount (nested containers).
  const how = unpack ? ['--snapshotter', snapshotter] : ['--no-unpack']
  const args = ['images', 'import', '--all-platforms', ...how, archive]
  assertOk(await containerd.ctr(args), 'ctr', args)
  return ctrImageNames(containerd)
}

/** `ctr images ls -q`: every image name in the containerd's namespace. */
export async function ctrImageNames(containerd: Containerd): Promise<string[]> {
  const args = ['images', 'ls', '-q']
  return assertOk(await containerd.ctr(args), 'ctr', args).stdout.split('\n').filter(Boolean)
}

/** Whether `ctr images check` calls image `name` complete (every blob present with its digest). */
export async function ctrImageCheck(containerd: Containerd, name: string): Promise<boolean> {
  const args = ['images', 'check', `name==${name}`]
  const rows = assertOk(await containerd.ctr(args), 'ctr', args).stdout.split('\n').slice(1)
  const row = rows.map(line => line.trim().split(/\s+/)).find(cols => cols[0] === name)
  if (!row) throw new Error(`ctr images check lists no image named ${name}: ${rows.join('\n') || '(none)'}`)
  return row[3] === 'complete'
}

/** `umoci stat --json --image DIR:REF`: parses the manifest and config under REF (`history` is null when the config has none). */
export async function umociStat(layoutDir: string, ref: string): Promise<{ history: unknown[] | null }> {
  return JSON.parse((await runOk('umoci', ['stat', '--json', '--image', `${layoutDir}:${ref}`])).stdout)
}

/** `umoci raw unpack --image DIR:REF DEST`: extracts tar layers, checking digest, size and diff_id. */
export async function umociRawUnpack(layoutDir: string, ref: string, dest: string): Promise<void> {
  const rootless = process.getuid?.() === 0 ? [] : ['--rootless']
  await runOk('umoci', ['raw', 'unpack', ...rootless, '--image', `${layoutDir}:${ref}`, dest])
}

export interface PodmanImage {
  /** The manifest digest podman stored: index.json's unless it fell back to manifest.json. */
  digest: string
  names: string[]
  id: string
}

/** `podman load -i ARCHIVE` into a private vfs store; resolves to the one image it holds afterwards. */
export async function podmanLoad(archive: string): Promise<PodmanImage> {
  const dir = await makeTempDir('podman')
  // podman refuses a --runroot longer than 50 characters
  const runRoot = await makeTempDir('podman-run', { short: true })
  const podman = (args: readonly string[]): Promise<string> => runOk('podman', [
    '--root', join(dir, 'root'), '--runroot', runRoot, '--tmpdir', join(dir, 'tmp'),
    '--storage-driver', 'vfs', '--events-backend', 'file', '--cgroup-manager', 'cgroupfs', ...args,
  ]).then(result => result.stdout)
  await podman(['load', '-i', archive])
  const images = JSON.parse(await podman(['images', '--format', 'json'])) as Array<{ Id: string, Digest: string, Names?: string[] }>
  if (images.length !== 1) throw new Error(`podman load ${archive} left ${images.length} images, expected 1`)
  const [image] = images as [(typeof images)[0]]
  return { digest: image.Digest, names: image.Names ?? [], id: image.Id }
}

/** `tar -xvf ARCHIVE -C DIR` with the system tar, a reader independent of the project's; resolves to the entry names. */
export async function extractTar(archive: string, dir: string): Promise<string[]> {
  const { stdout } = await runOk('tar', ['-xvf', archive, '-C', dir])
  return stdout.split('\n').filter(Boolean)
}
