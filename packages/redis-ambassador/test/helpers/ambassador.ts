// Starts the ambassador in-process against test servers, with a quiet logger.

import pino from 'pino'
import { startAmbassador, type Ambassador, type AmbassadorConfig } from '../../src/index.js'

export function baseConfig (over: Partial<AmbassadorConfig>): AmbassadorConfig {
  return {
    listen: '127.0.0.1:0',
    primary: '',
    replicas: [],
    sentinels: [],
    masterName: 'mymaster',
    sentinelUsername: '',
    sentinelPassword: '',
    sentinelTls: false,
    upstreamUsername: '',
    upstreamPassword: '',
    upstreamTls: false,
    tlsInsecure: false,
    tlsCaFile: '',
    tlsCertFile: '',
    tlsKeyFile: '',
    tlsServername: '',
    password: '',
    httpBind: '127.0.0.1:0',
    readPolicy: 'round-robin',
    readYourWrites: 0,
    maxReplicaLag: 1048576,
    healthInterval: 200,
    connectTimeout: 1000,
    poolSize: 2,
    maxBulkBytes: 536870912,
    maxArrayLen: 1048576,
    maxClientBuffer: 64 * 1024 * 1024,
    maxClientPipeline: 1024,
    maxClients: 10000,
    denyCommands: ['shutdown', 'debug', 'replicaof', 'slaveof', 'failover'],
    drainTimeout: 5000,
    logLevel: 'warn',
    ...over
  }
}

export async function start (over: Partial<AmbassadorConfig>): Promise<Ambassador> {
  const logger = pino({ level: process.env.RA_TEST_LOG ?? 'silent' })
  return await startAmbassador(baseConfig(over), { logger })
}
