// Offline validation of rendered manifests against the Kubernetes API schemas (kubernetes-models):
// what the e2e manifest test asserts and what examples/kind/run.sh checks before it applies.

import { parseAllDocuments } from 'yaml'
import { ConfigMap, Namespace, Pod, Secret, Service, PersistentVolumeClaim } from 'kubernetes-models/v1'
import { Deployment } from 'kubernetes-models/apps/v1'

interface Validatable { validate: () => void }
const models: Record<string, new (data: never) => Validatable> = {
  Pod, ConfigMap, Namespace, Secret, Service, PersistentVolumeClaim, Deployment
}

export interface SchemaResult {
  /** `Kind/name` of every object checked */
  objects: string[]
  /** one line per object that has no model or fails its schema */
  problems: string[]
}

export function validateManifests (yamlText: string): SchemaResult {
  const objects: string[] = []
  const problems: string[] = []
  for (const doc of parseAllDocuments(yamlText).map((d) => d.toJS() as { kind?: string, metadata?: { name?: string } } | null)) {
    if (doc === null) continue
    const id = `${doc.kind ?? '?'}/${doc.metadata?.name ?? '?'}`
    objects.push(id)
    const Model = doc.kind === undefined ? undefined : models[doc.kind]
    if (Model === undefined) { problems.push(`${id}: no schema model for kind ${doc.kind ?? '(none)'}`); continue }
    try {
      new Model(doc as never).validate()
    } catch (err) {
      problems.push(`${id}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return { objects, problems }
}
