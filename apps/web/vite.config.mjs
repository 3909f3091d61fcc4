// Builds the client to plain static files with hashed names in dist/. The game server's URL comes
// from VITE_GAME_URL at build time. Workspace packages are bundled from their TypeScript sources.
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: { conditions: ['development', 'module', 'browser'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
  },
  server: { host: '127.0.0.1', strictPort: false },
  preview: { host: '127.0.0.1' },
});
