import { defineConfig } from 'vite';

// Served by the API at /ui/ (libs/api/src/routes/dashboard.ts): asset URLs are absolute under it.
export default defineConfig({
  base: '/ui/',
  root: 'src',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    // elkjs is loaded on demand by the graph view (about 1.4 MB): no warning for that chunk.
    chunkSizeWarningLimit: 2_000,
    // The build is part of `npm ci`: no timing report in its output.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
