// The Node the images ship (24), which the benchmarks run our services on: .cache/node24 as
// scripts/setup.sh installs it; POD_PATTERNS_NODE overrides; without either, this Node.

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const NODE24 = fileURLToPath(new URL('../.cache/node24/bin/node', import.meta.url))
export const NODE = process.env.POD_PATTERNS_NODE ?? (existsSync(NODE24) ? NODE24 : process.execPath)
export const NODE_VERSION = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()
