import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // Parley starts its workers with `new URL('./parley-worker.js', import.meta.url)`: pre-bundling the
  // package for the dev server would move its code away from those files.
  optimizeDeps: { exclude: ['parley'] },
  // The engine's worker is an ES module.
  worker: { format: 'es' },
});
