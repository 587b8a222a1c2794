// Public API of @pod-patterns/metrics-adapter: start and stop the adapter in-process, feed it
// lines, add sources of your own (anything that yields sample families at scrape time).

import type http from 'node:http'
import { ConfigError, OpsServer, createLogger, createRegistry, type Logger, type RunningService } from '@pod-patterns/runtime'
import { parseSocketMode, table, type AdapterConfig } from './config.js'
import { Mapper, emptyMappingConfig, loadMappingConfig, type MappingConfig } from './mapping.js'
import { AdapterStats, registerOwnMetrics } from './own-metrics.js'
import { SeriesStore } from './series-store.js'
import { StatsdIngest } from './statsd-ingest.js'
import { listenTcp, listenUdp, listenUnixgram, type Listener } from './statsd-listeners.js'
import { StatsdRelay } from './relay.js'
import { ExpositionWriter, OPENMETRICS_CONTENT_TYPE, PROM_CONTENT_TYPE, exposedNames, fromPromClient, type SampleFamily } from './exposition.js'
import { JsonSource, loadJsonConfig, type JsonExporterConfig } from './json-source.js'
import { loadJmxConfig, type JmxConfig } from './jmx-rules.js'
import { loadWebConfig, webGuard, type WebConfig } from './web-config.js'

export { table, PACKAGE, validateConfig } from './config.js'
export type { AdapterConfig } from './config.js'
export { parseLine, escapeName, ALL_TAG_STYLES } from './statsd-line.js'
export type { StatsdSample, LineSink, LineErrorReason, TagStyles } from './statsd-line.js'
export { parseMappingConfig, Mapper, globToRegex } from './mapping.js'
export type { MappingConfig, MappingResult } from './mapping.js'
export { ExpositionWriter, formatValue } from './exposition.js'
export type { SampleFamily, FamilyType } from './exposition.js'
export { parseJsonConfig, JsonSource } from './json-source.js'
export { parseJmxConfig, JmxRuleMatcher } from './jmx-rules.js'
export { evaluateJsonPath } from './jsonpath.js'

/** Something that yields families at scrape time: the extension point for new inputs. */
export interface MetricSource {
  readonly name: string
  collect: () => SampleFamily[] | Promise<SampleFamily[]>
  close?: () => Promise<void>
}

export interface AdapterOptions {
  logger?: Logger
  /** Extra sources, written after the StatsD series (a name clash skips theirs, counted). */
  sources?: readonly MetricSource[]
}

export interface Adapter extends RunningService {
  readonly logger: Logger
  /** Bound ports (useful with port 0): web, StatsD UDP and TCP (0 when off). */
  readonly ports: { web: number, udp: number, tcp: number }
  readonly stats: AdapterStats
  /** Feeds lines as if they arrived on a listener (newline-separated). */
  ingest: (text: string) => void
  /** Re-reads the mapping, JSON and JMX configs; keeps the old ones when a new one is invalid. */
  reload: () => Promise<void>
  /** The exposition a scrape would return now. */
  render: (openMetrics?: boolean) => Promise<string>
}

/** Loads and checks every config file the flags name (what --check-config runs). */
export async function loadConfigs (config: Readonly<AdapterConfig>): Promise<{ mapping: MappingConfig, json: JsonExporterConfig | undefined, jmx: JmxConfig[], web: WebConfig | undefined }> {
  const web = config.webConfigFile === '' ? undefined : await loadWebConfig(config.webConfigFile)
  const mapping = config.statsdMappingConfig === '' ? emptyMappingConfig() : await loadMappingConfig(config.statsdMappingConfig)
  const json = config.jsonConfigFile === '' ? undefined : await loadJsonConfig(config.jsonConfigFile)
  const jmx: JmxConfig[] = []
  for (const f of config.jmxConfigFile) jmx.push(await loadJmxConfig(f))
  return { mapping, json, jmx, web }
}

export async function startAdapter (config: Readonly<AdapterConfig>, options: AdapterOptions = {}): Promise<Adapter> {
  const logger = options.logger ?? createLogger({ name: table.program, level: config.logLevel })
  const loaded = await loadConfigs(config)
  if (config.checkConfig) {
    logger.info({ mappings: loaded.mapping.rules.length, jsonModules: Object.keys(loaded.json?.modules ?? {}).length, jmx: loaded.jmx.length }, 'configuration is valid')
    return { logger, ports: { web: 0, udp: 0, tcp: 0 }, stats: new AdapterStats(), ingest: () => undefined, reload: () => Promise.resolve(), render: () => Promise.resolve(''), stop: () => Promise.resolve(), done: Promise.resolve(0) }
  }

  const registry = createRegistry()
  const stats = new AdapterStats()
  const reserved = new Set<string>()
  const store = new SeriesStore({
    maxSeries: config.maxSeries,
    reserved,
    counters: {
      conflict: (kind, reason) => { AdapterStats.bump(stats.eventsConflict, kind); logger.debug({ kind, reason }, 'statsd event conflicts with an existing metric') },
      seriesDropped: () => { stats.seriesDropped++ },
      labelSetVariant: () => { stats.labelSetVariants++ },
      negativeCounter: () => { AdapterStats.bump(stats.eventsError, 'illegal_negative_counter') }
    }
  })
  registerOwnMetrics(registry, stats, () => store.countsByKind())
  for (const m of registry.getMetricsAsArray()) {
    for (const t of ['counter', 'summary', 'histogram'] as const) for (const n of exposedNames(m.name, t)) reserved.add(n)
  }
  const mapper = new Mapper(loaded.mapping, config.statsdCacheSize)
  stats.loadedMappings = loaded.mapping.rules.length
  let web = loaded.web

  const relay = config.statsdRelayAddress === '' ? undefined : new StatsdRelay(config.statsdRelayAddress, config.statsdRelayPacketLength, stats, logger)
  const ingest = new StatsdIngest({
    styles: {
      dogstatsd: config.statsdParseDogstatsdTags,
      influxdb: config.statsdParseInfluxdbTags,
      librato: config.statsdParseLibratoTags,
      signalfx: config.statsdParseSignalfxTags
    },
    mapper,
    store,
    stats,
    ...(relay === undefined ? {} : { relay: (l: string) => { relay.line(l) } }),
    onBadLine: (reason, line) => { if (logger.isLevelEnabled('debug')) logger.debug({ reason, line: line.slice(0, 200) }, 'bad statsd line') }
  })

  const sources: MetricSource[] = [...(options.sources ?? [])]
  let jsonSource: JsonSource | undefined
  if (loaded.json !== undefined) {
    jsonSource = new JsonSource(loaded.json, logger)
    sources.push(jsonSource)
  }
  const jmxSources: MetricSource[] = []
  if (loaded.jmx.length > 0) {
    // Lazy: the JVM bridge is loaded only when a JMX source is configured.
    const { JmxSource } = await import('./jmx-source.js')
    for (const j of loaded.jmx) jmxSources.push(await JmxSource.create(j, logger))
    sources.push(...jmxSources)
  }

  const renderChunks = async (openMetrics: boolean): Promise<Buffer[]> => {
    const w = new ExpositionWriter(openMetrics)
    for (const f of fromPromClient(await registry.getMetricsAsJSON() as never)) w.family(f, 'adapter')
    store.write(w)
    // Sources may share family names (two JMX targets): same type merges, else first wins.
    const merged = new Map<string, { f: SampleFamily, source: string }>()
    const collected = await Promise.all(sources.map(async (s) => {
      try { return await s.collect() } catch (err) {
        logger.warn({ err, source: s.name }, 'source collect failed')
        return []
      }
    }))
    collected.forEach((fams, i) => {
      const source = (sources[i] as MetricSource).name
      for (const f of fams) {
        const m = merged.get(f.name)
        if (m === undefined) merged.set(f.name, { f: { ...f, samples: [...f.samples] }, source })
        else if (m.f.type === f.type) m.f.samples.push(...f.samples)
        else AdapterStats.bump(stats.scrapeConflicts, source)
      }
    })
    for (const { f, source } of merged.values()) w.family(f, source)
    for (const c of w.conflicts) AdapterStats.bump(stats.scrapeConflicts, c.source)
    return w.finishChunks()
  }
  const render = async (openMetrics = false): Promise<string> => Buffer.concat(await renderChunks(openMetrics)).toString('utf8')

  const reload = async (): Promise<void> => {
    try {
      const next = await loadConfigs(config)
      mapper.replace(next.mapping)
      stats.loadedMappings = next.mapping.rules.length
      if (jsonSource !== undefined && next.json !== undefined) jsonSource.replace(next.json)
      // Users and headers take effect at once; a new certificate or TLS policy needs a restart.
      if (web !== undefined && next.web !== undefined) web = next.web
      AdapterStats.bump(stats.configReloads, 'success')
      logger.info({ mappings: next.mapping.rules.length }, 'configuration reloaded')
    } catch (err) {
      AdapterStats.bump(stats.configReloads, 'failure')
      logger.error({ err }, 'configuration reload failed; keeping the previous one')
      throw err
    }
  }

  let quit: (() => void) | undefined
  let stopping: Promise<void> | undefined
  const done = config.webEnableLifecycle
    ? new Promise<number>((resolve) => {
      quit = () => { void stop().then(() => { resolve(0) }, () => { resolve(1) }) }
    })
    : undefined

  const ops = new OpsServer({
    bind: config.webListenAddress,
    logger,
    registry,
    metricsPath: config.webTelemetryPath,
    ...(web?.tls === undefined ? {} : { tls: web.tls }),
    ...(web === undefined ? {} : { guard: webGuard(() => web as WebConfig) })
  })
  ops.addRoute({
    path: config.webTelemetryPath,
    handler: async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return }
      const om = config.webOpenmetrics && (req.headers.accept ?? '').includes('application/openmetrics-text')
      const chunks = await renderChunks(om)
      let length = 0
      for (const c of chunks) length += c.length
      res.writeHead(200, { 'content-type': om ? OPENMETRICS_CONTENT_TYPE : PROM_CONTENT_TYPE, 'content-length': length })
      if (req.method === 'HEAD') { res.end(); return }
      // Chunks go out as they are; nothing is joined into one big string or buffer.
      for (const c of chunks) res.write(c)
      res.end()
    }
  })
  const lifecycle = (action: () => Promise<void>) => async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (!config.webEnableLifecycle) { res.writeHead(403, { 'content-type': 'text/plain' }).end('Lifecycle API is not enabled.\n'); return }
    if (req.method !== 'POST' && req.method !== 'PUT') { res.writeHead(405, { allow: 'POST, PUT' }).end(); return }
    try {
      await action()
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK\n')
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`failed: ${(err as Error).message}\n`)
    }
  }
  ops.addRoute({ path: '/-/reload', handler: lifecycle(reload) })
  ops.addRoute({ path: '/-/quit', handler: lifecycle(() => { setImmediate(() => quit?.()); return Promise.resolve() }) })
  if (jsonSource !== undefined) {
    const js = jsonSource
    ops.addRoute({ path: '/probe', handler: async (req, res) => { await js.probe(req, res, openMetricsFor(req)) } })
  }
  const openMetricsFor = (req: http.IncomingMessage): boolean => config.webOpenmetrics && (req.headers.accept ?? '').includes('application/openmetrics-text')

  const listeners: Listener[] = []
  const closeAll = async (): Promise<void> => {
    for (const l of listeners) await l.close().catch((err: unknown) => { logger.warn({ err }, 'listener close failed') })
  }
  try {
    if (config.statsdListenUdp !== '') listeners.push(await listenUdp(config.statsdListenUdp, ingest, stats, logger, config.statsdReadBuffer))
    if (config.statsdListenTcp !== '') listeners.push(await listenTcp(config.statsdListenTcp, ingest, stats, logger, config.statsdTcpMaxLineLength))
    if (config.statsdListenUnixgram !== '') listeners.push(await listenUnixgram(config.statsdListenUnixgram, parseSocketMode(config.statsdUnixsocketMode), ingest, stats, logger))
    await ops.start()
  } catch (err) {
    await closeAll()
    for (const s of sources) await s.close?.()
    throw err
  }

  const setTimer = setInterval(() => { store.rollSets() }, config.statsdSetInterval)
  const ttlTimer = setInterval(() => { store.expire() }, 1000)
  setTimer.unref()
  ttlTimer.unref()
  const onHup = (): void => { reload().catch(() => undefined) }
  process.on('SIGHUP', onHup)

  async function stop (): Promise<void> {
    stopping ??= (async () => {
      process.off('SIGHUP', onHup)
      clearInterval(setTimer)
      clearInterval(ttlTimer)
      await closeAll()
      await relay?.close()
      await ops.stop()
      for (const s of sources) await s.close?.().catch((err: unknown) => { logger.warn({ err, source: s.name }, 'source close failed') })
    })()
    await stopping
  }

  const port = (kind: string): number => { const l = listeners.find((x) => x.kind === kind); return typeof l?.address === 'number' ? l.address : 0 }
  return {
    logger,
    ports: { web: ops.port, udp: port('udp'), tcp: port('tcp') },
    stats,
    ingest: (text) => { ingest.packet(text) },
    reload,
    render,
    ...(done === undefined ? {} : { done }),
    stop
  }
}

export { ConfigError }
