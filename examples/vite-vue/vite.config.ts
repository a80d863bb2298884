import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  // <parley-…> are custom elements (the UI kit), not Vue components.
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('parley-') } } })],
  // Parley starts its workers with `new URL('./parley-worker.js', import.meta.url)`: pre-bundling the
  // package for the dev server would move its code away from those files.
  optimizeDeps: { exclude: ['parley'] },
  // The engine's worker is an ES module.
  worker: { format: 'es' },
});
