#!/usr/bin/env node
// Registers tsx (bench configs and suites may be TypeScript), then runs the CLI from the build
// when there is one, else from the TypeScript sources.
import { existsSync } from 'node:fs'
import { register } from 'tsx/esm/api'

register()
const dist = new URL('../dist/cli.js', import.meta.url)
const { main } = await import(existsSync(dist) ? dist.href : new URL('../src/cli.ts', import.meta.url).href)
process.exit(await main(process.argv.slice(2)))
