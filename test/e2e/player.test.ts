// The Podman player's own contract (test/src/pods.ts): what it changes in a manifest so that
// `podman kube play` 4.3 runs the pods as Kubernetes would.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import { skipReason } from '../src/e2e.js'
import { prefix, tag } from '../src/images.js'
import { down, examples, play, podman, prepare, render } from '../src/pods.js'

interface Doc {
  kind: string
  metadata: { name: string }
  data?: Record<string, string>
  spec?: { volumes?: Array<{ name: string, configMap?: { name: string } }> }
}
const docsOf = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null)

describe('each pod has its own ConfigMap volumes on Podman (the overlays, and the player for any manifest)', () => {
  /** ConfigMaps that more than one pod mounts, with those pods. */
  const sharedConfigMaps = (docs: Doc[]): Array<[string, string[]]> => {
    const mountedBy = new Map<string, string[]>()
    for (const pod of docs.filter((d) => d.kind === 'Pod')) {
      for (const v of pod.spec?.volumes ?? []) {
        if (v.configMap !== undefined) mountedBy.set(v.configMap.name, [...(mountedBy.get(v.configMap.name) ?? []), pod.metadata.name])
      }
    }
    return [...mountedBy].filter(([, pods]) => pods.length > 1)
  }

  for (const example of examples) {
    it(`${example}: the podman overlay itself mounts no ConfigMap in two pods`, async () => {
      assert.deepEqual(sharedConfigMaps(docsOf(await render(example, 'podman'))), [])
    })

    it(`${example}: after the player, no ConfigMap is mounted by two pods, and each pod's copy holds the original's data`, async () => {
      const original = docsOf(await render(example, 'podman'))
      const prepared = docsOf((await prepare(await render(example, 'podman'), { suffix: 't1', publish: false })).yaml)
      const byName = new Map(prepared.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name, d]))
      for (const pod of prepared.filter((d) => d.kind === 'Pod')) {
        for (const v of pod.spec?.volumes ?? []) {
          if (v.configMap === undefined) continue
          const copy = byName.get(v.configMap.name)
          assert.ok(copy !== undefined, `${pod.metadata.name} mounts ${v.configMap.name}, which the manifest has`)
          // A copy is named after the original (suffixed as every name is) and the pod.
          const source = original.find((d) => d.kind === 'ConfigMap' && (copy.metadata.name === `${d.metadata.name}-t1` || copy.metadata.name.startsWith(`${d.metadata.name}-t1-`)))
          assert.ok(source !== undefined, `${copy.metadata.name} comes from a ConfigMap of the example`)
          assert.deepEqual(copy.data, byName.get(`${source.metadata.name}-t1`)?.data, `${copy.metadata.name} holds ${source.metadata.name}'s data`)
        }
      }
      assert.deepEqual(sharedConfigMaps(prepared), [])
    })
  }

  it('with real Podman: a pod\'s script is not written again when the next pod that mounts it is played', { skip: skipReason() }, async () => {
    const pod = (name: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers:
    - name: c
      image: ${prefix}/examples:${tag}
      command: [sleep, "600"]
      volumeMounts: [{ name: scripts, mountPath: /scripts, readOnly: true }]
  volumes:
    - name: scripts
      configMap: { name: shared-scripts }
`
    const yaml = `apiVersion: v1
kind: ConfigMap
metadata: { name: shared-scripts }
data:
  start.sh: echo started
---
${pod('first')}---
${pod('second')}`
    const suffix = `pl${process.pid.toString(36)}`
    const played = await play('player', { suffix, network: `pp-${suffix}`, yaml })
    try {
      const volumes: string[] = []
      for (const name of ['first', 'second']) {
        const container = `${played.pods[name]!.name}-c`
        const volume = (await podman(['inspect', '--format', '{{range .Mounts}}{{if eq .Destination "/scripts"}}{{.Name}}{{end}}{{end}}', container])).trim()
        volumes.push(volume)
        assert.equal(await podman(['exec', container, 'cat', '/scripts/start.sh']), 'echo started')
        // Written before its pod started, and never again: the later pod has a volume of its own.
        const started = Number(BigInt((await podman(['inspect', '--format', '{{.State.StartedAt.UnixNano}}', container])).trim()) / 1000n) / 1000
        const written = statSync(`${(await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume])).trim()}/start.sh`).mtimeMs
        assert.ok(written <= started, `${volume}/start.sh written at ${new Date(written).toISOString()}, after ${name} started at ${new Date(started).toISOString()}`)
      }
      assert.notEqual(volumes[0], volumes[1])
    } finally {
      await down(played)
    }
  })
})
