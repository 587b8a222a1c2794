// Shared setup for the conformance cases: a fresh source repo and root per case, and the flags
// every case passes (like the anchor's suite: file:// submodules allowed, HTTP on a free port).

import { join } from 'node:path'
import { test } from 'node:test'
import { SourceRepo, tempDir } from './fixture.js'

export interface Case {
  dir: string
  repo: SourceRepo
  root: string
  link: string
  /** Base flags: repo, root, link=link, file protocol allowed. */
  args: (...extra: string[]) => string[]
  /** Base flags plus an HTTP server on a free port with metrics. */
  httpArgs: (...extra: string[]) => string[]
}

export function newCase (name: string): Case {
  const dir = tempDir(`gs-${name.slice(0, 20)}-`)
  const repo = new SourceRepo(join(dir, 'repo'), name)
  const root = join(dir, 'root')
  const args = (...extra: string[]): string[] => [
    `--repo=${repo.url}`, `--root=${root}`, '--link=link', '--git-config=protocol.file.allow:always', ...extra
  ]
  return {
    dir,
    repo,
    root,
    link: join(root, 'link'),
    args,
    httpArgs: (...extra: string[]) => args('--http-bind=127.0.0.1:0', '--http-metrics', ...extra)
  }
}

/** One conformance case: a node:test named exactly like the anchor's e2e case (or our own). */
export function conformance (name: string, fn: () => Promise<void>, timeout = 240_000): void {
  void test(name, { timeout }, fn)
}
