/**
 * Stack traces that point at our TypeScript: import this first in a service's `main.ts`, before
 * anything else is loaded (maps are read as each module loads).
 *
 * Only our own code's maps are read. `--enable-source-maps` also reads every map shipped under
 * `node_modules`, which cost the game server about 2 MB of RSS at boot (docs/performance.md) for
 * stacks through code we do not debug. In an image built by `pnpm deploy`, the workspace
 * packages sit under `node_modules` too, so there only the app's own frames are mapped; the
 * packages' frames show the compiled JavaScript, which `tsc` keeps close to the source.
 */
import { setSourceMapsSupport } from 'node:module';

setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
