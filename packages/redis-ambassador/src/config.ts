// The redis-ambassador flag table: every flag with its env var, default and help.

import { readPackageInfo, type ConfigTable } from '@pod-patterns/runtime'

export const PACKAGE = readPackageInfo(import.meta.url)

export interface AmbassadorConfig {
  listen: string
  primary: string
  replicas: readonly string[]
  httpBind: string
  logLevel: string
}

export const table: ConfigTable = {
  program: 'redis-ambassador',
  version: PACKAGE.version,
  summary: 'Redis ambassador: the app talks to localhost; reads go to replicas, writes to the primary.',
  envPrefix: 'REDIS_AMBASSADOR_',
  options: [
    { name: 'listen', type: 'string', default: '127.0.0.1:6379', help: 'Where clients connect: HOST:PORT or unix:/path.', placeholder: 'ADDR' },
    { name: 'primary', type: 'string', default: '', help: 'Static topology: the primary as HOST:PORT.', placeholder: 'HOST:PORT' },
    { name: 'replicas', type: 'list', envSeparator: ',', flagSeparator: ',', default: [], help: 'Static topology: replicas as HOST:PORT,...', placeholder: 'HOST:PORT,...' },
    { name: 'http-bind', type: 'string', default: '', help: 'Address for /healthz, /readyz and /metrics; empty: no HTTP server.', placeholder: 'ADDR' },
    { name: 'log-level', type: 'enum', choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'], default: 'info', help: 'Log level.' }
  ]
}
