// The images as built: users, entry points, labels, sizes, contents, the git-sync drop-in.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { prefix, tag } from '../src/images.js'
import { skipReason } from '../src/e2e.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { podman, repoRoot, run } from '../src/pods.js'

const skip = skipReason()

describe('images built by scripts/build-images.sh', { skip }, () => {
  const services = ['git-sync', 'redis-ambassador', 'metrics-adapter', 'metrics-adapter-jmx']

  it('each service image runs its CLI as a numeric non-root user from a vector ENTRYPOINT', async () => {
    for (const s of services) {
      const image = `${prefix}/${s}:${tag}`
      const cfg = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', image])) as { User: string, Entrypoint: string[], Labels: Record<string, string> }
      assert.match(cfg.User, /^[1-9][0-9]*:[1-9][0-9]*$/, `${s} user`)
      assert.equal(cfg.Entrypoint[0], '/usr/local/bin/node', `${s} entrypoint`)
      assert.ok(cfg.Labels['org.opencontainers.image.title']?.includes(s.replace('-jmx', '')), `${s} OCI title label`)
      assert.ok(cfg.Labels['org.opencontainers.image.version'], `${s} OCI version label`)
      const version = await podman(['run', '--rm', image, '--version'])
      assert.match(version, /\d+\.\d+\.\d+/, `${s} --version`)
      const node = await podman(['run', '--rm', '--entrypoint', 'node', image, '--version'])
      assert.match(node, /^v24\./, `${s} runs Node 24`)
    }
  })

  it('each service image adds at most 40 MB over its runtime base and ships no dev dependencies or sources', async () => {
    for (const s of services) {
      const size = Number(await podman(['image', 'inspect', '--format', '{{.Size}}', `${prefix}/${s}:${tag}`]))
      const base = Number(await podman(['image', 'inspect', '--format', '{{.Size}}', `${prefix}/${s}-base:${tag}`]))
      assert.ok(size - base <= 40_000_000, `${s}: +${((size - base) / 1e6).toFixed(1)} MB over its base`)
      const dir = s.replace('-jmx', '')
      const found = await podman(['run', '--rm', '--entrypoint', 'bash', `${prefix}/${s}:${tag}`, '-c',
        `cd /opt/pod-patterns/${dir} && { ls node_modules; find . -name '*.ts' ! -name '*.d.ts' -not -path './node_modules/*'; ls dist; } | tr '\\n' ' '`])
      for (const dev of ['typescript', 'eslint', '@types', 'tsconfig']) assert.ok(!found.includes(dev), `${s} ships ${dev}: ${found}`)
      assert.ok(!/\btest\b/.test(found.split('dist')[1] ?? ''), `${s} ships compiled tests: ${found}`)
    }
  })

  it('the git-sync image is a drop-in for the anchor: uid/gid 65533, HOME=/tmp, /git 2775, the tools hooks call', async () => {
    const out = await podman(['run', '--rm', '--entrypoint', 'bash', `${prefix}/git-sync:${tag}`, '-c',
      'id -u; id -g; echo "$HOME"; stat -c %a /git; for t in bash curl tar gzip grep sed git ssh gpg; do command -v "$t" >/dev/null || echo "missing $t"; done; test -s /etc/ssl/certs/ca-certificates.crt || echo "missing ca-certificates"; /git-sync --version'])
    const [uid, gid, home, mode, ...rest] = out.trim().split('\n')
    assert.deepEqual([uid, gid, home, mode], ['65533', '65533', '/tmp', '2775'])
    assert.ok(!rest.some((l) => l.startsWith('missing')), rest.join('\n'))
    assert.match(rest.join('\n'), /git-sync \d/)
  })

  it('the git-sync ENTRYPOINT takes an anchor pod spec\'s args unchanged', async () => {
    const r = await run('podman', ['run', '--rm', `${prefix}/git-sync:${tag}`, '--repo=file:///nonexistent', '--root=/git', '--one-time', '--period=1s'], { timeoutMs: 60_000 })
    // Not a usage error (exit 2): the flags are the anchor's and were understood.
    assert.notEqual(r.code, 2, r.stderr)
  })
})

describe('the service Dockerfiles', () => {
  it('repeat one byte-identical build stage, so the layer cache builds it once for every image', () => {
    const stages = services().map((s) => {
      const text = readFileSync(join(repoRoot, 'images', s, 'Dockerfile'), 'utf8')
      const start = text.indexOf('FROM ${NODE_BUILD_IMAGE} AS build')
      const end = text.indexOf('# ---- deploy', start)
      assert.ok(start >= 0 && end > start, `${s}: a build stage before the deploy stage`)
      return { s, stage: text.slice(start, end) }
    })
    for (const { s, stage } of stages) assert.equal(stage, stages[0]!.stage, `${s}'s build stage differs from ${stages[0]!.s}'s`)
  })
})

function services (): string[] { return ['git-sync', 'redis-ambassador', 'metrics-adapter', 'metrics-adapter-jmx'] }
