/** A voice message: the kit's player (`<parley-voice-player>`), and the upload bar while own and pending. */
import { html } from 'lit';
import type { VoiceContent } from '../../schema/content';
import type { TemplateRenderer } from './types';
import { uploadBar } from './uploadBar';

/** The player's parts, re-exported so `parley-chat::part(voice-play)` reaches into it. */
const PLAYER_PARTS = 'voice-play, voice-progress, voice-time';

export const voice: TemplateRenderer = (m, ctx) => {
  const c = m.content as VoiceContent;
  const src = ctx.mediaUrl(c.url, `${m.id}:voice`);
  const error = src ? null : ctx.mediaError(c.url);
  return html`<div class="voice-message">
    <parley-voice-player part="voice" exportparts=${PLAYER_PARTS} class="voice" locale=${ctx.locale} .src=${src}
      duration-ms=${Number(c.durationMs) || 0} ?unavailable=${error !== null} @media-error=${() => ctx.mediaFailed(c.url)}></parley-voice-player>
    ${uploadBar(m, ctx)}
  </div>`;
};
