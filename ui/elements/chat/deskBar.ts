/**
 * An agent's desk bar above a shop conversation: who handles it (with the last transfer's note,
 * which the customer never sees), Take, and Transfer to a colleague with a note, or back to the queue.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { Assignment, DeskAgent } from '../../../schema/desk';
import type { Translate } from '../../i18n/locale';

export interface DeskBarProps {
  t: Translate;
  me: string | null;
  assignment: (Assignment & { queued?: true }) | undefined;
  agents: DeskAgent[];
  nameOf(agentId: string): string;
  /** The transfer form is open. */
  transferring: boolean;
  onTake(): void;
  onToggleTransfer(): void;
  onTransfer(agentId: string | null, note: string): void;
}

export function deskBar(p: DeskBarProps): TemplateResult {
  const { t, assignment: a } = p;
  const who = !a || a.agentId === null ? t('desk.inQueue') : a.agentId === p.me ? t('desk.handledByYou') : t('desk.handledBy', { name: p.nameOf(a.agentId) });
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const to = (form.elements.namedItem('to') as HTMLSelectElement).value;
    const note = (form.elements.namedItem('note') as HTMLInputElement).value;
    p.onTransfer(to === '' ? null : to, note);
  };
  const colleagues = p.agents.filter((x) => x.id !== p.me);
  return html`<div part="desk" class="desk" role="region" aria-label=${who}>
    <span part="desk-assignee" class="desk-assignee">${who}${a?.queued ? html` · <span data-queued>${t('desk.queued')}</span>` : nothing}</span>
    ${a?.note && a.by ? html`<span part="desk-note" class="desk-note">${t('desk.noteFrom', { name: p.nameOf(a.by), note: a.note })}</span>` : nothing}
    <span class="desk-actions">
      ${a?.agentId !== p.me ? html`<button type="button" part="take-button" class="action" @click=${p.onTake}>${t('desk.take')}</button>` : nothing}
      <button type="button" part="transfer-button" class="action" aria-expanded=${p.transferring ? 'true' : 'false'} @click=${p.onToggleTransfer}>
        ${t('desk.transfer')}
      </button>
    </span>
    ${p.transferring
      ? html`<form part="transfer-form" class="transfer-form" @submit=${onSubmit}>
          <label>${t('desk.transferTo')}
            <select name="to">
              ${colleagues.map((x) => html`<option value=${x.id}>${t('desk.agentState', { name: x.displayName, state: t(`presence.${x.state}`) })}</option>`)}
              <option value="">${t('desk.toQueue')}</option>
            </select>
          </label>
          <label>${t('desk.note')} <input name="note" type="text" maxlength="500" /></label>
          <button type="submit" part="transfer-submit" class="action">${t('desk.transfer')}</button>
          <button type="button" class="action" @click=${p.onToggleTransfer}>${t('desk.cancel')}</button>
        </form>`
      : nothing}
  </div>`;
}
