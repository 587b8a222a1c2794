// Offline checks of the example manifests: every overlay renders with kustomize, validates
// against the Kubernetes API schemas (kubernetes-models), and keeps the rules the examples
// promise: a security context, probes and resource limits on every container, only what
// Podman 4.3 plays in the podman overlays, and pod names that match the kind Services.

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseAllDocuments } from 'yaml'
import { examples, render } from '../src/pods.js'
import { validateManifests } from '../src/schema.js'
const podmanPlays = new Set(['Pod', 'Deployment', 'ConfigMap', 'PersistentVolumeClaim'])

interface Container {
  name: string
  image: string
  securityContext?: { readOnlyRootFilesystem?: boolean, allowPrivilegeEscalation?: boolean, capabilities?: { drop?: string[] }, runAsNonRoot?: boolean }
  readinessProbe?: unknown
  livenessProbe?: unknown
  resources?: { limits?: { cpu?: string, memory?: string } }
  volumeMounts?: Array<{ name: string }>
}
interface Doc {
  kind: string
  metadata: { name: string }
  spec?: { securityContext?: { runAsNonRoot?: boolean }, containers?: Container[], volumes?: Array<{ name: string }>, selector?: Record<string, string> }
}

function docsOf (yamlText: string): Doc[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null)
}

for (const example of examples) {
  describe(`manifests of ${example}`, () => {
    for (const overlay of ['kind', 'podman'] as const) {
      it(`the ${overlay} overlay renders and every object validates against the Kubernetes API schema`, async () => {
        const { objects, problems } = validateManifests(await render(example, overlay))
        assert.ok(objects.length > 0)
        assert.deepEqual(problems, [])
      })
    }

    it('every container runs non-root on a read-only root with all capabilities dropped, probes and limits', async () => {
      for (const pod of docsOf(await render(example, 'kind')).filter((d) => d.kind === 'Pod')) {
        assert.equal(pod.spec?.securityContext?.runAsNonRoot, true, `${pod.metadata.name}: runAsNonRoot`)
        for (const c of pod.spec?.containers ?? []) {
          const where = `${pod.metadata.name}/${c.name}`
          assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`)
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`)
          assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${where}: drop ALL`)
          assert.ok(c.readinessProbe !== undefined && c.livenessProbe !== undefined, `${where}: probes`)
          assert.ok(c.resources?.limits?.cpu !== undefined && c.resources.limits.memory !== undefined, `${where}: limits`)
          const volumes = new Set((pod.spec?.volumes ?? []).map((v) => v.name))
          for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${where}: mount of undefined volume ${m.name}`)
        }
      }
    })

    it('the podman overlay holds only what Podman 4.3 plays and no secret references', async () => {
      const text = await render(example, 'podman')
      for (const doc of docsOf(text)) assert.ok(podmanPlays.has(doc.kind), `${doc.kind}/${doc.metadata.name} is not played by podman kube play`)
      assert.doesNotMatch(text, /secretName:|secretKeyRef:/)
    })

    it('the pods are named as the kind Services, so the same hostnames resolve on both', async () => {
      const kind = docsOf(await render(example, 'kind'))
      const services = new Set(kind.filter((d) => d.kind === 'Service').map((d) => d.metadata.name))
      const pods = docsOf(await render(example, 'podman')).filter((d) => d.kind === 'Pod').map((d) => d.metadata.name)
      assert.deepEqual([...services].sort(), [...pods].sort())
      for (const svc of kind.filter((d) => d.kind === 'Service')) {
        assert.equal(svc.spec?.selector?.['app.kubernetes.io/name'], svc.metadata.name, `service ${svc.metadata.name} selects its pod`)
      }
    })
  })
}

describe('the offline schema check', () => {
  it('reports an object that breaks its schema and a kind it has no model for (the check can fail)', () => {
    const { objects, problems } = validateManifests('apiVersion: v1\nkind: Pod\nmetadata: { name: bad }\nspec: { containers: [{ image: x }] }\n---\napiVersion: v1\nkind: Gadget\nmetadata: { name: g }\n')
    assert.deepEqual(objects, ['Pod/bad', 'Gadget/g'])
    assert.equal(problems.length, 2, problems.join('\n'))
    assert.match(problems[0]!, /^Pod\/bad: .*name/)
    assert.match(problems[1]!, /no schema model for kind Gadget/)
  })
})
