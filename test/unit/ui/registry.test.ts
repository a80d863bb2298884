import { describe, expect, it, vi } from 'vitest';
import {
  fallbackTemplate,
  onTemplatesChange,
  registerBuiltinTemplate,
  registerTemplate,
  resolveTemplate,
  setFallbackTemplate,
} from '../../../ui/templates/registry';
import type { TemplateRenderer } from '../../../ui/templates/types';

const renderer = (name: string) => (() => name as never) as TemplateRenderer;

describe('template registry', () => {
  const builtinProduct = renderer('builtin-product');
  const unsupported = renderer('unsupported');
  registerBuiltinTemplate('product', builtinProduct);
  setFallbackTemplate(unsupported);

  it('uses the built-in renderer, and the fallback for unknown types', () => {
    expect(resolveTemplate('product')).toBe(builtinProduct);
    expect(resolveTemplate('sticker.v2')).toBe(unsupported);
    expect(fallbackTemplate()).toBe(unsupported);
  });

  it('a host renderer overrides the built-in until unregistered', () => {
    const mine = renderer('mine');
    const off = registerTemplate('product', mine);
    expect(resolveTemplate('product')).toBe(mine);
    off();
    expect(resolveTemplate('product')).toBe(builtinProduct);
  });

  it('a host renderer handles a type the kit does not know', () => {
    const sticker = renderer('sticker');
    const off = registerTemplate('sticker', sticker);
    expect(resolveTemplate('sticker')).toBe(sticker);
    off();
    expect(resolveTemplate('sticker')).toBe(unsupported);
  });

  it('a stale unregister does not remove a newer registration', () => {
    const first = renderer('first');
    const second = renderer('second');
    const offFirst = registerTemplate('order', first);
    const offSecond = registerTemplate('order', second);
    offFirst();
    expect(resolveTemplate('order')).toBe(second);
    offSecond();
  });

  it('tells listeners when registrations change', () => {
    const listener = vi.fn();
    const stop = onTemplatesChange(listener);
    const off = registerTemplate('voice', renderer('v'));
    off();
    expect(listener).toHaveBeenCalledTimes(2);
    stop();
    registerTemplate('voice', renderer('w'))();
    expect(listener).toHaveBeenCalledTimes(2);
  });
});
