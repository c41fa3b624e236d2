/**
 * Deterministic JSON. Key order is the insertion order of the objects the formats build, so each
 * format spells its objects out in the order its consumers hash them; these helpers only fix the
 * spacing. `pretty` matches serde_json's pretty printer (2 spaces, `": "`, no trailing newline),
 * which is what runwasi's oci-tar-builder writes for the config.
 */
export function compactJson(value: unknown): string {
  return JSON.stringify(value)
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

const encoder = new TextEncoder()

export function jsonBytes(value: unknown, style: 'compact' | 'pretty' = 'compact'): Uint8Array {
  return encoder.encode(style === 'pretty' ? prettyJson(value) : compactJson(value))
}
