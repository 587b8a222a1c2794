// One sync of the on-disk contract: a git repo at --root, each published commit a worktree at
// root/.worktrees/<sha>, and --link a relative symlink swapped atomically onto the new one.
//
// The small metadata calls between git commands (a readlink, FETCH_HEAD, a .git pointer, the
// symlink and rename) are synchronous: each takes microseconds, while a promise through libuv's
// thread pool costs ~0.2 ms of hand-offs and a sync makes about twenty of them. Whole trees
// (removal, the group-write walk) and files the user names stay asynchronous.

// fs.promises, not node:fs/promises: in the bundled CLI a property read at the call loads that
// module (about 1.3 ms) only when a sync first needs it; a first sync does not.
import { type Stats, appendFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, promises as fsp } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { Logger } from '@pod-patterns/runtime'
import { PodPatternsError } from '@pod-patterns/runtime'
import type { GitSyncConfig } from './config.js'
import type { GitRunner } from './git-runner.js'

export const WORKTREES_DIR = '.worktrees'
const SHA_RE = /^[0-9a-f]{40}$/

export interface SyncResult {
  /** The commit published after this sync. */
  hash: string
  /** Whether the link moved to a new worktree. */
  changed: boolean
  /** Whether git fetch ran (false when idling on a SHA). */
  fetched: boolean
}

export interface SyncHooks {
  /** Called after fetching, before publishing; throws to refuse the commit. */
  verify?: (sha: string, fetchedObject: string, signal: AbortSignal) => Promise<void>
  onFetch?: () => void
  /**
   * Called with the new worktree ready, before the link moves to it (the pre-publish hook).
   * `signal` is the sync's: its deadline or shutdown.
   */
  beforePublish?: (sha: string, worktree: string, signal: AbortSignal) => Promise<void>
  /**
   * Asked after the link moved: true when another sync is already due, so the old worktree's
   * removal (and prune/gc) waits for that sync instead of delaying it. Deferred at most once.
   */
  deferCleanup?: () => boolean
}

class CleanupDeferred extends Error {}

export function isSha (ref: string): boolean { return SHA_RE.test(ref) }

export class RepoSync {
  private readonly config: Readonly<GitSyncConfig>
  private readonly git: GitRunner
  private readonly logger: Logger
  private readonly fetchUrl: string
  root = ''
  linkPath = ''
  private rootChecked = false
  /** A cleanup was cut short because another sync was due: the next sync finishes it. */
  private cleanupOwed = false

  constructor (config: Readonly<GitSyncConfig>, git: GitRunner, logger: Logger, fetchUrl: string) {
    this.config = config
    this.git = git
    this.logger = logger
    this.fetchUrl = fetchUrl
  }

  /** Resolves --root (creating it) and --link to absolute real paths. */
  resolvePaths (): void {
    const abs = resolve(this.config.root)
    mkdirSync(abs, { recursive: true })
    this.root = realpathSync(abs)
    this.linkPath = isAbsolute(this.config.link) ? this.config.link : join(this.root, this.config.link)
    // A crash between symlink() and rename() leaves a temp link behind; it is never reused.
    const prefix = `.${basename(this.linkPath)}.tmp-`
    for (const e of readdirOrEmpty(dirname(this.linkPath))) {
      if (e.startsWith(prefix)) rmSync(join(dirname(this.linkPath), e), { force: true })
    }
  }

  /** root-relative-or-absolute path for the error/touch files. */
  rootPath (p: string): string { return isAbsolute(p) ? p : join(this.root, p) }

  /** The SHA the link points at now, or undefined. */
  currentHash (): string | undefined {
    try {
      const target = readlinkSync(this.linkPath)
      const sha = basename(target)
      return SHA_RE.test(sha) ? sha : undefined
    } catch { return undefined }
  }

  worktreePath (sha: string): string { return join(this.root, WORKTREES_DIR, sha) }

  /** Makes sure the root is a sane git repo of its own, wiping and re-initialising it if not. */
  async ensureRoot (signal: AbortSignal): Promise<void> {
    if (this.rootChecked) return
    const entries = readdirSync(this.root)
    let sane = false
    if (entries.length > 0) sane = await this.rootIsSane(signal)
    if (!sane) {
      if (entries.length > 0) {
        this.logger.warn({ root: this.root }, 'root is not a usable git-sync repo; wiping its contents and starting over')
        await Promise.all(entries.map(async (e) => await fsp.rm(join(this.root, e), { recursive: true, force: true })))
      }
      // Not -q: simple-git waits an extra 50 ms after a git command that printed nothing.
      await this.git.run(['init', '-b', 'git-sync'], { cwd: this.root, signal })
      // A fresh repo's config is git's own short file: appending the remote here saves a
      // `git config` process on the first sync.
      appendFileSync(join(this.root, '.git', 'config'), `[remote "origin"]\n\turl = ${gitConfigQuote(this.fetchUrl)}\n`)
      this.logger.info({ root: this.root }, 'initialised the root repo')
    } else {
      this.repointWorktrees()
      // Relative submodule URLs resolve against it; a repo switch on the same root changes it.
      const have = await this.git.tryRun(['config', '--get', 'remote.origin.url'], { cwd: this.root, signal })
      if (have?.trim() !== this.fetchUrl) await this.git.run(['config', 'remote.origin.url', this.fetchUrl], { cwd: this.root, signal })
    }
    this.rootChecked = true
  }

  /**
   * Git records each worktree's absolute location in .git/worktrees/<sha>/gitdir, and
   * `git worktree prune` drops the metadata of any worktree not found there. When the volume is
   * mounted at another path than last time (a moved root, another pod spec), those records are
   * stale: rewrite them for where the root is now, so kept worktrees stay valid git checkouts.
   * (The worktree's own .git file is relative, so it never needs this.)
   */
  private repointWorktrees (): void {
    const wtDir = join(this.root, WORKTREES_DIR)
    for (const e of readdirOrEmpty(wtDir)) {
      const wt = join(wtDir, e)
      let gitdir: string
      try { gitdir = this.worktreeGitdir(wt) } catch { continue }
      const record = join(gitdir, 'gitdir')
      const want = join(wt, '.git')
      let have: string
      try { have = readFileSync(record, 'utf8').trim() } catch { continue }
      if (have === want) continue
      writeFileSync(record, want + '\n')
      this.logger.info({ worktree: wt, was: have }, 'the root moved: updated the worktree record')
    }
  }

  private async rootIsSane (signal: AbortSignal): Promise<boolean> {
    if (!existsSync(join(this.root, '.git'))) return false
    const top = await this.git.tryRun(['rev-parse', '--show-toplevel'], { cwd: this.root, signal })
    if (top === undefined) return false
    let topReal: string
    try { topReal = realpathSync(top.trim()) } catch { return false }
    if (topReal !== this.root) {
      this.logger.warn({ root: this.root, toplevel: topReal }, 'root sits inside another git repo')
      return false
    }
    // A crash during a shallow fetch leaves this lock behind and every later fetch fails.
    if (existsSync(join(this.root, '.git', 'shallow.lock'))) {
      this.logger.warn('root has a leftover shallow.lock')
      return false
    }
    if (await this.git.tryRun(['fsck', '--no-progress', '--connectivity-only'], { cwd: this.root, signal }) === undefined) {
      this.logger.warn('root fails git fsck')
      return false
    }
    return true
  }

  /** Whether the worktree for sha exists, is checked out at sha and is usable. */
  worktreeIsSane (sha: string): boolean {
    const wt = this.worktreePath(sha)
    // Read what `git rev-parse HEAD` would, without a process per loop: the worktree's .git
    // pointer, then the detached HEAD in its gitdir.
    try {
      if (!statSync(wt).isDirectory()) return false
      const gitdir = this.worktreeGitdir(wt)
      const head = readFileSync(join(gitdir, 'HEAD'), 'utf8').trim()
      if (head !== sha) return false
      return readdirSync(wt).length > 1 || this.config.sparseCheckoutFile !== ''
    } catch { return false }
  }

  /** Fetches the ref and returns [commit sha, fetched object (tag or commit)]. */
  async fetch (signal: AbortSignal): Promise<[string, string]> {
    const c = this.config
    // A partial clone must come from a configured promisor remote, so that later checkouts can
    // fetch the blobs they need; without a filter the URL is used directly.
    if (c.filter !== '') await this.configurePromisor(signal)
    const args = ['fetch', c.filter !== '' ? 'origin' : this.fetchUrl, c.ref, '--verbose', '--no-progress', '--prune', '--no-auto-gc']
    if (c.depth > 0) args.push('--depth', String(c.depth))
    else if (existsSync(join(this.root, '.git', 'shallow'))) args.push('--unshallow')
    if (c.filter !== '') args.push(`--filter=${c.filter}`)
    await this.git.run(args, { cwd: this.root, signal })
    // A branch or HEAD always names a commit (git refuses anything else there), so FETCH_HEAD's
    // own line gives the SHA without a process; a tag or a SHA ref may name a tag object.
    const fetched = fetchedCommit(join(this.root, '.git', 'FETCH_HEAD'))
    if (fetched !== undefined) return [fetched, fetched]
    const [obj, sha] = (await this.git.run(['rev-parse', 'FETCH_HEAD', 'FETCH_HEAD^{commit}'], { cwd: this.root, signal })).trim().split('\n')
    if (obj === undefined || sha === undefined || !SHA_RE.test(sha)) throw new PodPatternsError('BAD_FETCH_HEAD', `unexpected FETCH_HEAD: ${String(obj)} ${String(sha)}`)
    return [sha, obj]
  }

  private promisorReady = false
  private async configurePromisor (signal: AbortSignal): Promise<void> {
    if (this.promisorReady) return
    const set = async (k: string, v: string): Promise<void> => { await this.git.run(['config', k, v], { cwd: this.root, signal }) }
    await set('remote.origin.promisor', 'true')
    await set('remote.origin.partialclonefilter', this.config.filter)
    await set('extensions.partialClone', 'origin')
    this.promisorReady = true
  }

  /** Runs one sync. */
  async sync (signal: AbortSignal, hooks: SyncHooks = {}): Promise<SyncResult> {
    await this.ensureRoot(signal)
    const current = this.currentHash()
    const c = this.config
    // A SHA never moves: once it is published and intact there is nothing to fetch.
    if (isSha(c.ref) && current === c.ref && this.worktreeIsSane(current)) {
      return { hash: current, changed: false, fetched: false }
    }
    let sha: string
    let obj: string
    try {
      [sha, obj] = await this.fetch(signal)
    } catch (err) {
      // A stale shallow.lock (crash mid-fetch) blocks every later fetch: re-check the root next time.
      if (existsSync(join(this.root, '.git', 'shallow.lock'))) this.rootChecked = false
      throw err
    }
    if (sha === current && this.worktreeIsSane(sha)) {
      if (this.cleanupOwed) await this.cleanup(sha, signal)
      return { hash: sha, changed: false, fetched: true }
    }
    // Counted like the anchor's git_fetch_count_total: it asks `git ls-remote` first and fetches
    // only when there is something new to publish, so a fetch that changed nothing is not counted.
    hooks.onFetch?.()
    if (hooks.verify !== undefined) await hooks.verify(sha, obj, signal)
    await this.addWorktree(sha, signal, current)
    if (hooks.beforePublish !== undefined) {
      await hooks.beforePublish(sha, this.worktreePath(sha), signal)
      // The sync's deadline passed (or shutdown began) while the hook ran: the hook was stopped,
      // and like any step cut short this fails the sync; the next one starts over.
      signal.throwIfAborted()
    }
    this.swapLink(sha, current)
    await this.cleanup(sha, signal, hooks.deferCleanup)
    return { hash: sha, changed: true, fetched: true }
  }

  private async addWorktree (sha: string, signal: AbortSignal, previous?: string): Promise<void> {
    const c = this.config
    const wt = this.worktreePath(sha)
    const wtDir = join(this.root, WORKTREES_DIR)
    if (lstatOrUndefined(wt) !== undefined) {
      this.logger.info({ worktree: wt }, 'removing a bad or half-built worktree before rebuilding it')
      await fsp.rm(wt, { recursive: true, force: true })
    }
    // No `worktree prune` first: --force reuses the metadata of a registered-but-missing path.
    mkdirSync(wtDir, { recursive: true })
    if (previous !== undefined && await this.addWorktreeFrom(previous, sha, signal)) return
    const sparse = c.sparseCheckoutFile !== ''
    // Without a sparse checkout, `worktree add` checks the files out itself: one process, not two.
    // A sparse one must be configured between the add and the checkout.
    // Not -q: the "HEAD is now at" line spares the 50 ms simple-git waits on a silent command.
    await this.git.run(['worktree', 'add', '--force', '--detach', ...(sparse ? ['--no-checkout'] : []), wt, sha], { cwd: this.root, signal })
    const gitdir = this.worktreeGitdir(wt)
    if (sparse) {
      const patterns = await fsp.readFile(c.sparseCheckoutFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new PodPatternsError('SPARSE_FILE', `can't read --sparse-checkout-file ${c.sparseCheckoutFile}: ${err.code ?? err.message}`)
      })
      await fsp.mkdir(join(gitdir, 'info'), { recursive: true })
      await fsp.writeFile(join(gitdir, 'info', 'sparse-checkout'), patterns)
      await this.git.run(['config', 'extensions.worktreeConfig', 'true'], { cwd: this.root, signal })
      await this.git.run(['config', '--worktree', 'core.sparseCheckout', 'true'], { cwd: wt, signal })
      await this.git.run(['reset', '--hard', sha], { cwd: wt, signal })
    }
    if (c.submodules !== 'off' && existsSync(join(wt, '.gitmodules'))) {
      const args = ['submodule', 'update', '--init']
      if (c.submodules === 'recursive') args.push('--recursive')
      if (c.depth > 0) args.push('--depth', String(c.depth))
      await this.git.run(args, { cwd: wt, signal })
    }
    // A relative .git pointer keeps the volume usable when it is mounted at another path.
    writeFileSync(join(wt, '.git'), `gitdir: ${relative(wt, gitdir)}\n`)
    if (c.groupWrite) await makeGroupWritable(wt)
  }

  /**
   * Builds the worktree for sha from the published one: its tracked files are hard-linked, then
   * git checks out the difference. git replaces a file by unlinking it and writing a new one, so
   * the published tree never changes under its readers, and an update writes only what changed.
   * Returns false (and leaves nothing behind) when this does not apply or fails: the caller then
   * checks out the whole tree.
   */
  private async addWorktreeFrom (previous: string, sha: string, signal: AbortSignal): Promise<boolean> {
    const c = this.config
    // A pre-publish hook may write to the new tree's files: hard links shared with the published
    // tree would carry its writes there, under readers' feet.
    if (!c.reuseUnchangedFiles || c.sparseCheckoutFile !== '' || c.prePublishExechookCommand !== '' || previous === sha) return false
    const old = this.worktreePath(previous)
    if (!this.worktreeIsSane(previous)) return false
    // Submodules are separate repositories inside the tree: those get the whole checkout.
    if (existsSync(join(old, '.gitmodules'))) return false
    const wt = this.worktreePath(sha)
    try {
      // Both at once: the listing reads the published tree, the add only creates the new one.
      const [listed] = await Promise.all([
        this.git.run(['ls-files', '-z', '--stage'], { cwd: old, signal }),
        this.git.run(['worktree', 'add', '--force', '--detach', '--no-checkout', wt, previous], { cwd: this.root, signal })
      ])
      const files: string[] = []
      for (const entry of listed.split('\0')) {
        if (entry === '') continue
        // "<mode> <object> <stage>\t<path>": a gitlink (160000) or an unmerged entry means git's own way.
        const tab = entry.indexOf('\t')
        if (entry.startsWith('160000 ') || entry[tab - 1] !== '0') return false
        files.push(entry.slice(tab + 1))
      }
      const gitdir = this.worktreeGitdir(wt)
      const dirs = new Set<string>()
      for (const f of files) { const d = dirname(f); if (d !== '.') dirs.add(d) }
      // Synchronous calls in slices: a thousand link() calls cost ~20 ms this way and several
      // times that through promises; between slices the event loop (probes, metrics) runs.
      for (const d of [...dirs].sort()) mkdirSync(join(wt, d), { recursive: true })
      for (let i = 0; i < files.length; i += 500) {
        signal.throwIfAborted()
        for (const f of files.slice(i, i + 500)) linkSync(join(old, f), join(wt, f))
        await new Promise((resolve) => setImmediate(resolve))
      }
      await fsp.copyFile(join(this.worktreeGitdir(old), 'index'), join(gitdir, 'index'))
      // A hard link changes the file's ctime, not its content: git must not take that for an
      // edit. --force rewrites anything that was edited in place, so the tree is the commit's.
      await this.git.run(['-c', 'core.trustctime=false', 'checkout', '--force', '--detach', sha], { cwd: wt, signal })
      writeFileSync(join(wt, '.git'), `gitdir: ${relative(wt, gitdir)}\n`)
      if (c.groupWrite) await makeGroupWritable(wt)
      return true
    } catch (err) {
      if (signal.aborted) throw err
      this.logger.info({ err, worktree: wt, from: previous }, 'could not build the worktree from the published one; checking out the whole tree')
      await fsp.rm(wt, { recursive: true, force: true })
      return false
    }
  }

  private worktreeGitdir (wt: string): string {
    const text = readFileSync(join(wt, '.git'), 'utf8')
    const m = /^gitdir:\s*(.+)$/m.exec(text)
    if (m === null) throw new PodPatternsError('WORKTREE_BROKEN', `worktree ${wt} has no gitdir`)
    const p = (m[1] as string).trim()
    return isAbsolute(p) ? p : resolve(wt, p)
  }

  /** Points the link at the new worktree: a temp link beside it, then rename() over it. */
  private swapLink (sha: string, previous: string | undefined): void {
    const linkDir = dirname(this.linkPath)
    mkdirSync(linkDir, { recursive: true })
    const target = relative(linkDir, this.worktreePath(sha))
    const tmp = join(linkDir, `.${basename(this.linkPath)}.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10)}`)
    symlinkSync(target, tmp)
    try {
      renameSync(tmp, this.linkPath)
    } catch (err) {
      rmSync(tmp, { force: true })
      throw err
    }
    // The old worktree's staleness clock starts now.
    if (previous !== undefined && previous !== sha) {
      const now = new Date()
      try { utimesSync(this.worktreePath(previous), now, now) } catch { /* already gone */ }
    }
    this.logger.info({ hash: sha, link: this.linkPath }, 'updated the link')
  }

  /**
   * Removes stale worktrees and garbage; when anything went, prunes, expires reflogs and runs gc
   * per --git-gc. Like the anchor, a sync that removed nothing spawns no git process here.
   */
  async cleanup (current: string, signal: AbortSignal, deferIf?: () => boolean): Promise<void> {
    const wasOwed = this.cleanupOwed
    this.cleanupOwed = false
    try {
      await this.cleanupSteps(current, signal, wasOwed, () => {
        // Between steps (never inside a git command): a push that arrived meanwhile goes first.
        if (!wasOwed && deferIf?.() === true) throw new CleanupDeferred()
      })
    } catch (err) {
      if (!(err instanceof CleanupDeferred)) throw err
      this.cleanupOwed = true
      this.logger.debug('another sync is due: the rest of the cleanup runs after it')
    }
  }

  private async cleanupSteps (current: string, signal: AbortSignal, wasOwed: boolean, checkpoint: () => void): Promise<void> {
    const c = this.config
    checkpoint()
    const wtDir = join(this.root, WORKTREES_DIR)
    const now = Date.now()
    let removed = 0
    for (const e of readdirOrEmpty(wtDir)) {
      if (e === current) continue
      const p = join(wtDir, e)
      const st = lstatOrUndefined(p)
      if (st === undefined) continue
      const isWorktree = st.isDirectory() && SHA_RE.test(e)
      if (isWorktree && c.staleWorktreeTimeout > 0 && now - st.mtimeMs < c.staleWorktreeTimeout) continue
      await fsp.rm(p, { recursive: true, force: true })
      removed++
      this.logger.debug({ path: p }, 'removed a stale worktree or stray entry')
      checkpoint()
    }
    // v3 kept worktrees at root/<sha>; an in-place upgrade leaves them behind.
    for (const e of readdirSync(this.root)) {
      if (SHA_RE.test(e) && e !== current) { await fsp.rm(join(this.root, e), { recursive: true, force: true }); removed++ }
    }
    // Metadata of a worktree that vanished by other hands (or a crash) still needs a prune.
    // An owed cleanup may have removed the worktree already and still owe the prune and gc.
    if (removed === 0 && !wasOwed && !this.hasOrphanedWorktreeMetadata(current)) return
    await this.git.run(['worktree', 'prune', '--verbose'], { cwd: this.root, signal })
    checkpoint()
    // Expiring reflogs only lets gc drop what they pin: with gc off it would change nothing.
    if (c.gitGc !== 'off') await this.git.run(['reflog', 'expire', '--expire-unreachable=all', '--all'], { cwd: this.root, signal })
    switch (c.gitGc) {
      case 'auto': await this.git.run(['gc', '--auto', '--quiet'], { cwd: this.root, signal }); break
      case 'always': await this.git.run(['gc', '--prune=all', '--quiet'], { cwd: this.root, signal }); break
      case 'aggressive': await this.git.run(['gc', '--aggressive', '--prune=all', '--quiet'], { cwd: this.root, signal }); break
      case 'off': break
    }
  }

  /** Whether .git/worktrees lists an entry other than the current worktree's. */
  private hasOrphanedWorktreeMetadata (current: string): boolean {
    return readdirOrEmpty(join(this.root, '.git', 'worktrees')).some((n) => n !== current)
  }

  /** Removes worktrees that have gone stale even when nothing new was synced. */
  async expireStale (current: string, signal: AbortSignal): Promise<void> {
    if (this.config.staleWorktreeTimeout <= 0) return
    const wtDir = join(this.root, WORKTREES_DIR)
    let removed = false
    for (const e of readdirOrEmpty(wtDir)) {
      if (e === current) continue
      const st = lstatOrUndefined(join(wtDir, e))
      if (st !== undefined && Date.now() - st.mtimeMs >= this.config.staleWorktreeTimeout) {
        await fsp.rm(join(wtDir, e), { recursive: true, force: true })
        removed = true
      }
    }
    if (removed) await this.git.run(['worktree', 'prune'], { cwd: this.root, signal })
  }
}

/**
 * The commit FETCH_HEAD names when its first line is a branch or the remote's HEAD (both always
 * commits); undefined when git must peel it (a tag, a SHA that may name a tag object).
 */
export function fetchedCommit (fetchHead: string): string | undefined {
  let text: string
  try { text = readFileSync(fetchHead, 'utf8') } catch { return undefined }
  const [sha, mark, desc] = (text.split('\n', 1)[0] ?? '').split('\t')
  if (sha === undefined || !SHA_RE.test(sha) || mark !== '' || desc === undefined) return undefined
  // "branch 'main' of URL" for a branch; just the URL for HEAD. Everything else quotes a name.
  return desc.startsWith("branch '") || !desc.includes("'") ? sha : undefined
}

/** A directory's entries; none when it is missing (or unreadable). */
function readdirOrEmpty (dir: string): string[] {
  try { return readdirSync(dir) } catch { return [] }
}

/** lstat that says undefined for a path gone meanwhile (or unreadable). */
function lstatOrUndefined (p: string): Stats | undefined {
  try { return lstatSync(p) } catch { return undefined }
}

/** A value in git-config syntax: quoted, with backslash, quote and control characters escaped. */
export function gitConfigQuote (value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`
}

async function makeGroupWritable (dir: string): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p)
    if (st.isSymbolicLink()) return
    await fsp.chmod(p, (st.mode & 0o7777) | 0o020 | (st.isDirectory() ? 0o010 : 0))
    if (st.isDirectory()) for (const e of await fsp.readdir(p)) await walk(join(p, e))
  }
  await walk(dir)
}
