#!/usr/bin/env node
// Command line over pods.ts, for scripts/demo.sh: play an example on a Podman network with its
// ports published on free loopback ports, and tear it down from the state file it wrote.
//
//   node test/dist/src/pods-cli.js play 1-sidecar --network pod-patterns --state .cache/demo/1-sidecar.json
//   node test/dist/src/pods-cli.js down --state .cache/demo/1-sidecar.json [--keep-network]
//   node test/dist/src/pods-cli.js render 1-sidecar     # the prepared YAML, not played
//   kubectl kustomize DIR | node test/dist/src/pods-cli.js validate   # offline schema check

import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { down, play, prepare, render, type Played } from './pods.js'
import { validateManifests } from './schema.js'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    network: { type: 'string', default: 'pod-patterns' },
    suffix: { type: 'string', default: '' },
    state: { type: 'string' },
    'keep-network': { type: 'boolean', default: false }
  }
})

const [command, example] = positionals
try {
  if (command === 'play' && example !== undefined) {
    const played = await play(example, { suffix: values.suffix, network: values.network })
    if (values.state !== undefined) {
      mkdirSync(dirname(values.state), { recursive: true })
      writeFileSync(values.state, JSON.stringify(played, null, 2))
    }
    process.stdout.write(JSON.stringify({ example, network: played.network, pods: played.pods }) + '\n')
  } else if (command === 'down' && values.state !== undefined) {
    const played = JSON.parse(readFileSync(values.state, 'utf8')) as Played
    await down(played, { removeNetwork: !values['keep-network'] })
    rmSync(values.state, { force: true })
  } else if (command === 'render' && example !== undefined) {
    const prepared = await prepare(await render(example, 'podman'), { suffix: values.suffix, publish: false })
    process.stdout.write(prepared.yaml)
  } else if (command === 'validate') {
    const { objects, problems } = validateManifests(readFileSync(0, 'utf8'))
    for (const p of problems) process.stderr.write(`invalid: ${p}\n`)
    process.stdout.write(`${objects.length - problems.length} of ${objects.length} objects valid against the Kubernetes API schemas\n`)
    if (problems.length > 0 || objects.length === 0) process.exitCode = 1
  } else {
    process.stderr.write('usage: pods-cli play EXAMPLE [--network N] [--suffix S] [--state FILE] | down --state FILE [--keep-network] | render EXAMPLE | validate (YAML on stdin)\n')
    process.exitCode = 2
  }
} catch (err) {
  process.stderr.write(`pods-cli: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
}
