// --add-user: give the running UID a passwd entry, as the anchor does, because ssh refuses to
// run ("No user exists for uid N") when a container runs under an arbitrary UID.

import { promises as fsp } from 'node:fs'
import { PodPatternsError } from '@pod-patterns/runtime'

export const DEFAULT_PASSWD_FILE = '/etc/passwd'

export interface PasswdEntryOptions {
  /** The file to edit; /etc/passwd unless a test (or an unusual image) says otherwise. */
  file?: string
  uid?: number
  gid?: number
  /** The home directory recorded: $HOME, else the working directory (like the anchor). */
  home?: string
}

/**
 * Appends `git-sync:x:UID:GID::HOME:/sbin/nologin` unless the UID already has an entry.
 * Returns whether a line was added; throws ADD_USER_FAILED when the file cannot be written.
 */
export async function addPasswdEntry (options: PasswdEntryOptions = {}): Promise<boolean> {
  const file = options.file ?? DEFAULT_PASSWD_FILE
  const uid = options.uid ?? process.getuid?.() ?? 0
  const gid = options.gid ?? process.getgid?.() ?? 0
  const home = options.home ?? (process.env.HOME !== undefined && process.env.HOME !== '' ? process.env.HOME : process.cwd())
  let existing = ''
  try {
    existing = await fsp.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw failed(file, err)
  }
  // The image may already list this UID (the default 65533 is baked in): nothing to do then.
  for (const line of existing.split('\n')) {
    if (line.split(':')[2] === String(uid)) return false
  }
  const sep = existing === '' || existing.endsWith('\n') ? '' : '\n'
  try {
    await fsp.appendFile(file, `${sep}git-sync:x:${uid}:${gid}::${home}:/sbin/nologin\n`)
  } catch (err) {
    throw failed(file, err)
  }
  return true
}

function failed (file: string, err: unknown): PodPatternsError {
  const e = err as NodeJS.ErrnoException
  return new PodPatternsError('ADD_USER_FAILED', `--add-user: can't add a passwd entry to ${file}: ${e.code ?? e.message} (make the file writable by this UID, or drop --add-user)`, { cause: err })
}
