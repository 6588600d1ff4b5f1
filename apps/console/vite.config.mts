// The audit console's build: `npm run build` runs it after tsc, writing dist/console, which the query API serves at
// /console. `npx vite --config apps/console/vite.config.mts` serves it in development with /graphql and /v1 proxied to
// a query API on localhost:4000 (VIGIL_API_URL overrides).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env['VIGIL_API_URL'] ?? 'http://localhost:4000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: '../../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One small app: a warning past 500 KB minified means a dependency crept in.
    chunkSizeWarningLimit: 500,
  },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/v1': { target: api },
    },
  },
});
