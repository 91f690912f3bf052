import { ConfigError } from '@converge/core'
import type { RedisOptions } from 'bullmq'

/** A parsed `--queue` address: connection options for BullMQ, and a form safe to print. */
export interface QueueAddress {
  readonly connection: RedisOptions
  /** The URL with any password masked, for messages and logs. */
  readonly display: string
}

/**
 * Parses `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). Connections retry
 * forever (`maxRetriesPerRequest: null`, as BullMQ requires for workers), so a Redis restart
 * pauses the bench instead of failing it.
 */
export function parseQueueUrl(text: string): QueueAddress {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(`--queue: "${text}" is not a URL; expected redis://host:port[/db]`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`--queue: "${text}" uses ${url.protocol}; expected redis:// or rediss:// (TLS)`)
  }
  if (!url.hostname) throw new ConfigError(`--queue: "${text}" has no host`)
  const port = url.port ? Number(url.port) : 6379
  const path = url.pathname.replace(/^\//, '')
  const db = path === '' ? 0 : Number(path)
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`--queue: database "${path}" in "${text}" is not a non-negative integer`)
  const connection: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    maxRetriesPerRequest: null,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
  }
  const masked = new URL(url.href)
  if (masked.password) masked.password = '***'
  return { connection, display: masked.href }
}
