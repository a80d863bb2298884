/**
 * The voice recorder's panel in the composer: state, a running mm:ss timer with the limit, a bar
 * filling towards the limit, Cancel and Send. Esc cancels.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { formatDuration } from '../../i18n/format';
import type { Translate } from '../../i18n/locale';
import type { RecorderStatus } from '../../media/voiceRecorder';

export interface RecorderPanelProps {
  t: Translate;
  status: RecorderStatus;
  elapsedMs: number;
  maxMs: number;
  onSend(): void;
  onCancel(): void;
}

export function recorderPanel(p: RecorderPanelProps): TemplateResult | typeof nothing {
  if (p.status === 'idle') return nothing;
  const { t } = p;
  const recording = p.status === 'recording';
  const time = formatDuration(p.elapsedMs, { pad: true });
  const max = formatDuration(p.maxMs, { pad: true });
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation(); // an enclosing widget must not close its panel as well
    p.onCancel();
  };
  return html`<div part="voice-recorder" class="recorder" role="group" aria-label=${t('recorder.label')} data-status=${p.status}
    @keydown=${onKeyDown}>
    <span class="rec-dot" aria-hidden="true"></span>
    <span class="rec-state">${recording || p.status === 'stopping' ? t('recorder.recording') : t('recorder.requesting')}</span>
    <span part="voice-timer" class="rec-timer" role="timer" aria-label=${t('recorder.timer', { time, max })}>${time}</span>
    <progress class="rec-meter" max=${p.maxMs} value=${Math.min(p.elapsedMs, p.maxMs)} aria-hidden="true"></progress>
    <button type="button" part="voice-cancel" class="rec-button" aria-label=${t('recorder.cancel')} @click=${p.onCancel}>
      ${t('recorder.cancelShort')}
    </button>
    <button type="button" part="voice-send" class="rec-button rec-send" aria-label=${t('recorder.send')} ?disabled=${!recording}
      @click=${p.onSend}>
      ${t('recorder.sendShort')}
    </button>
  </div>`;
}
