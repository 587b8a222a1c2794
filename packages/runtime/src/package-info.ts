// Reads a package's own package.json (name, version) from its module URL, so --version and
// the metrics' build info cannot drift from what was published.

import { readFileSync } from 'node:fs'

export interface PackageInfo { name: string, version: string }

/** `moduleUrl` is `import.meta.url` of a file in `<pkg>/dist/src/`. */
export function readPackageInfo (moduleUrl: string): PackageInfo {
  const raw = readFileSync(new URL('../../package.json', moduleUrl), 'utf8')
  const pkg = JSON.parse(raw) as Partial<PackageInfo>
  return { name: pkg.name ?? 'unknown', version: pkg.version ?? '0.0.0' }
}
