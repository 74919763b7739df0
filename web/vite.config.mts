// The dashboard's build: web/ -> dist/web/ (served by the API as static files, src/api/dashboard.ts).
// Preact through the automatic JSX runtime; no dev server is needed to run the product.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 300,
  },
});
