import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

// `npm run dev` proxies everything but the app itself to a local `sesami serve` (default port
// 8080), so the app and the API share an origin as they do in production, where the server serves
// web/dist. The app routes with the URL hash, so no page path can collide with an API path.
const api = process.env.SESAMI_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [solid()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '^/(?!$|index\\.html|src/|@|node_modules/|assets/).*': { target: api, changeOrigin: false },
    },
  },
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // Load the wasm package as Node does (native ESM), not through vitest's transform, which gives
    // the Emscripten glue a CommonJS `module` it then writes to.
    server: { deps: { external: [/wasm\/dist\//] } },
  },
});
