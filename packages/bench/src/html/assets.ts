import { copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { makeDir } from '@converge/core'

/**
 * The charting libraries the pages load, copied from node_modules beside the pages (with their
 * licences), so that a page opens from file:// with no network: never a CDN.
 */
export const ASSET_FOLDER = 'assets'

/** Load order matters: vega-lite and vega-embed read the globals the ones before them define. */
export const SCRIPTS = ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js'] as const

const require = createRequire(import.meta.url)

/** Each package's `exports` entry lives in its `build/` folder, beside its minified browser build. */
const sources = (): { file: string; from: string; license: string }[] =>
  (['vega', 'vega-lite', 'vega-embed'] as const).map((pkg, i) => {
    const build = dirname(require.resolve(pkg))
    return { file: SCRIPTS[i] as string, from: join(build, SCRIPTS[i] as string), license: join(build, '..', 'LICENSE') }
  })

/** Copies the scripts (and licences) into `<out>/assets/`; returns the folder. */
export function copyAssets(out: string): string {
  const dir = join(out, ASSET_FOLDER)
  makeDir(dir, 'out')
  for (const s of sources()) {
    copyFileSync(s.from, join(dir, s.file))
    copyFileSync(s.license, join(dir, `${s.file.replace(/\.min\.js$/, '')}.LICENSE.txt`))
  }
  return dir
}
