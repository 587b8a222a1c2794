// The CLI contract every service keeps: --help, --version, unknown flags exit 2 naming the flag.

import { fileURLToPath } from 'node:url'
import { registerCliContractTests } from '@pod-patterns/runtime/testing'
import { table } from '../src/index.js'

await registerCliContractTests({ bin: fileURLToPath(new URL('../src/main.js', import.meta.url)), table })
