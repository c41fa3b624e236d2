/** A `WWW-Authenticate` challenge: `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  scheme: 'basic' | 'bearer'
  params: Record<string, string>
}

/**
 * Parses the challenges of a `WWW-Authenticate` header (RFC 7235: a scheme, then
 * `key=value` or `key="quoted \"value\""` pairs) and returns the one to answer: Bearer over Basic.
 */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const text = Array.isArray(header) ? header.join(', ') : header
  if (!text) return undefined
  const challenges: Challenge[] = []
  const token = /\s*([A-Za-z][\w-]*)(?:\s+|$)/y
  const param = /\s*,?\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/y
  let at = 0
  while (at < text.length) {
    token.lastIndex = at
    const scheme = token.exec(text)
    if (!scheme) break
    at = token.lastIndex
    const params: Record<string, string> = {}
    for (;;) {
      param.lastIndex = at
      const match = param.exec(text)
      // A bare word after a comma is the next scheme, not a parameter.
      if (!match) break
      params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!
      at = param.lastIndex
    }
    at = skipComma(text, at)
    const name = scheme[1]!.toLowerCase()
    if (name === 'basic' || name === 'bearer') challenges.push({ scheme: name, params })
  }
  return challenges.find((challenge) => challenge.scheme === 'bearer') ?? challenges[0]
}

function skipComma(text: string, at: number): number {
  const match = /\s*,?\s*/y
  match.lastIndex = at
  match.exec(text)
  return match.lastIndex === at && at < text.length ? text.length : match.lastIndex
}
