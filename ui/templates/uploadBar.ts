/** The upload bar under an own pending media message: indeterminate until the first progress event. */
import { html, nothing } from 'lit';
import type { LocalMessage } from '../../worker/protocol';
import type { TemplateContext } from './types';

export function uploadBar(m: LocalMessage, ctx: TemplateContext): unknown {
  if (!ctx.mine || m.state !== 'pending') return nothing;
  const p = ctx.uploadProgress(m.id);
  const known = p !== null && p.total > 0;
  return html`<progress part="upload-progress" class="upload-progress" aria-label=${ctx.t('message.uploading')}
    max=${known ? p.total : nothing} value=${known ? p.loaded : nothing}></progress>`;
}
