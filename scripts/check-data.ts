/**
 * Run after `pnpm install`: says, without failing the install, when the Fashion-MNIST files that
 * the real-data tasks and the default bench's fashion-sanity suite read are not there, and how to
 * get them. The tests do not need them (they read a shipped fixture).
 */
import { findFashionMnist } from '@converge/tasks/data'

try {
  findFashionMnist()
} catch (e) {
  console.warn(`\nconverge: ${(e as Error).message}\n(pnpm test runs without it; pnpm bench and the Fashion-MNIST tasks need it.)\n`)
}
