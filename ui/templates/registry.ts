/**
 * Which renderer draws a content type: one the host registered, else the kit's built-in, else the
 * "unsupported message type" fallback. Pure (no DOM, no Lit at runtime) so it is unit-testable.
 */
import type { TemplateRenderer } from './types';

const custom = new Map<string, TemplateRenderer>();
const builtin = new Map<string, TemplateRenderer>();
let fallback: TemplateRenderer | null = null;
const listeners = new Set<() => void>();

/**
 * Use `renderer` for messages whose `content.type` is `type`, overriding the built-in one. Also
 * valid for types the kit does not know. Elements re-render at once. Returns the unregister
 * function (restoring the built-in).
 */
export function registerTemplate(type: string, renderer: TemplateRenderer): () => void {
  custom.set(type, renderer);
  notify();
  return () => {
    if (custom.get(type) !== renderer) return;
    custom.delete(type);
    notify();
  };
}

/** Registered by the kit itself (text, image, voice, product, order). */
export function registerBuiltinTemplate(type: string, renderer: TemplateRenderer): void {
  builtin.set(type, renderer);
}

/** The renderer for types nothing else handles. */
export function setFallbackTemplate(renderer: TemplateRenderer): void {
  fallback = renderer;
}

/** The renderer for a content type; null only if there is no fallback either. */
export function resolveTemplate(type: string): TemplateRenderer | null {
  return custom.get(type) ?? builtin.get(type) ?? fallback;
}

/** The "unsupported message type" renderer (also used when a renderer throws). */
export function fallbackTemplate(): TemplateRenderer | null {
  return fallback;
}

/** Called when a host registers or unregisters a template; returns the unsubscribe. */
export function onTemplatesChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const l of [...listeners]) l();
}
