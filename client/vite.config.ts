import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev`: Vite on :5173 with /api, /metrics and /healthz proxied to the API (STRATA_API_URL,
// default the `npm start` address). The event stream goes through the same proxy (no buffering).
const api = process.env['STRATA_API_URL'] ?? 'http://127.0.0.1:3080';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@strata/config': fileURLToPath(new URL('../packages/config/src/index.ts', import.meta.url)) },
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': api, '/metrics': api, '/healthz': api, '/readyz': api },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2_000 },
});
