/** `<parley-chat>`'s layout; every colour and size comes from the theme's custom properties. */
import { css } from 'lit';

export const chatStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 0;
    height: 100%;
    background: var(--_bg);
    position: relative;
  }
  .header {
    padding: var(--_gap) calc(var(--_gap) * 1.5);
    border-bottom: 1px solid var(--_border);
    font-weight: 600;
  }
  .status {
    padding: 2px calc(var(--_gap) * 1.5);
    font-size: 0.8em;
    color: var(--_muted);
    display: flex;
    gap: var(--_gap);
    flex-wrap: wrap;
    align-items: center;
  }
  .status:empty {
    display: none;
  }
  .presence {
    padding: 2px calc(var(--_gap) * 1.5);
    font-size: 0.8em;
    color: var(--_muted);
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .presence .dot {
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: var(--parley-presence-offline, #8c959f);
    flex: none;
  }
  .presence[data-state='online'] .dot {
    background: var(--parley-presence-online, #1a7f37);
  }
  .presence[data-state='away'] .dot {
    background: var(--parley-presence-away, #bf8700);
  }
  .recalled {
    font-style: italic;
    color: var(--_muted);
  }
  /* Per-message actions: in the tab order always, shown on hover and while focused within. */
  .message-actions {
    display: inline-flex;
    gap: 4px;
    opacity: 0;
  }
  .message:hover .message-actions,
  .message:focus-within .message-actions {
    opacity: 1;
  }
  .desk {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px var(--_gap);
    padding: 4px calc(var(--_gap) * 1.5);
    border-bottom: 1px solid var(--_border);
    font-size: 0.85em;
  }
  .desk-note {
    flex-basis: 100%;
    color: var(--_muted);
  }
  .desk-actions {
    margin-inline-start: auto;
    display: inline-flex;
    gap: 4px;
  }
  .transfer-form {
    flex-basis: 100%;
    display: flex;
    flex-wrap: wrap;
    gap: 4px var(--_gap);
    align-items: center;
  }
  .quick-replies {
    margin: 0 calc(var(--_gap) * 1.5);
    border: 1px solid var(--_border);
    border-radius: 6px;
    background: var(--_bg);
    max-height: 12em;
    overflow-y: auto;
    font-size: 0.9em;
  }
  .quick-replies ul {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .quick-replies li {
    padding: 4px 8px;
    cursor: pointer;
  }
  .quick-replies li[aria-selected='true'] {
    background: var(--_theirs-bg);
  }
  .quick-shortcut {
    font-weight: 600;
  }
  .quick-none {
    margin: 0;
    padding: 4px 8px;
    color: var(--_muted);
  }
  .typing {
    min-height: 1.2em;
    padding: 0 calc(var(--_gap) * 1.5);
    font-size: 0.8em;
    font-style: italic;
    color: var(--_muted);
  }
  .link-button {
    background: none;
    border: none;
    padding: 0;
    text-decoration: underline;
    color: var(--_accent);
    font-size: inherit;
  }
  .list {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    margin: 0;
    padding: var(--_gap);
    list-style: none;
    display: flex;
    flex-direction: column;
    gap: calc(var(--_gap) * 0.75);
  }
  .older {
    align-self: center;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .older button {
    background: none;
    border: 1px solid var(--_border);
    border-radius: 999px;
    padding: 2px 12px;
  }
  .empty {
    margin: auto;
    color: var(--_muted);
  }
  .message {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    max-width: 80%;
  }
  .message.mine {
    align-self: flex-end;
    align-items: flex-end;
  }
  .bubble {
    padding: calc(var(--_gap) * 0.75) calc(var(--_gap) * 1.25);
    border-radius: var(--_radius);
    background: var(--_theirs-bg);
    color: var(--_theirs-text);
    overflow-wrap: anywhere;
    max-width: 100%;
  }
  .mine .bubble {
    background: var(--_mine-bg);
    color: var(--_mine-text);
  }
  .failed .bubble {
    opacity: 0.7;
  }
  .text {
    white-space: pre-wrap;
    unicode-bidi: isolate;
  }
  .meta {
    display: flex;
    gap: 6px;
    align-items: center;
    font-size: 0.75em;
    color: var(--_muted);
    margin-top: 2px;
  }
  .failed .state {
    color: var(--_danger);
  }
  .action {
    background: none;
    border: 1px solid var(--_border);
    border-radius: 4px;
    padding: 0 6px;
    font-size: inherit;
  }
  .card {
    display: flex;
    gap: var(--_gap);
    min-width: 200px;
    padding: var(--_gap);
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.75);
    background: var(--_bg);
    color: var(--_text);
    text-decoration: none;
    text-align: start;
  }
  .card-image {
    width: 64px;
    height: 64px;
    object-fit: cover;
    border-radius: calc(var(--_radius) * 0.5);
    flex: none;
  }
  .card-body {
    display: flex;
    flex-direction: column;
    min-width: 0;
  }
  .card-kind,
  .card-meta {
    font-size: 0.8em;
    color: var(--_muted);
  }
  .card-title {
    font-weight: 600;
  }
  .card-price {
    color: var(--_accent);
    font-weight: 600;
  }
  .unsupported {
    font-style: italic;
    opacity: 0.8;
  }
  .composer {
    border-top: 1px solid var(--_border);
    padding: var(--_gap);
    display: flex;
    flex-direction: column;
    gap: calc(var(--_gap) * 0.5);
  }
  .tools {
    display: flex;
    gap: 4px;
  }
  .tools:empty {
    display: none;
  }
  .tool {
    display: inline-flex;
    align-items: center;
    background: none;
    border: none;
    padding: 2px 6px;
    border-radius: 6px;
    font-size: 1.1em;
    color: inherit;
  }
  .tool[aria-expanded='true'] {
    background: var(--_theirs-bg);
  }
  .panel {
    display: grid;
    gap: 4px;
    max-height: 160px;
    overflow-y: auto;
  }
  .emoji-panel {
    grid-template-columns: repeat(auto-fill, minmax(2.2em, 1fr));
  }
  .emoji {
    background: none;
    border: none;
    font-size: 1.3em;
    padding: 2px;
  }
  .more-panel {
    grid-template-columns: repeat(auto-fill, minmax(5.5em, 1fr));
  }
  .more-item {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 2px;
    background: none;
    border: 1px solid var(--_border);
    border-radius: 8px;
    padding: 6px;
    font-size: 0.8em;
  }
  .icon {
    font-size: 1.6em;
    width: 1.6em;
    height: 1.6em;
    text-align: center;
  }
  .input-row {
    display: flex;
    gap: var(--_gap);
    align-items: flex-end;
  }
  .input {
    flex: 1;
    resize: none;
    min-height: 2.4em;
    max-height: 8em;
    padding: 6px 10px;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.75);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
    field-sizing: content;
  }
  .send {
    background: var(--_accent);
    color: var(--_accent-text);
    border: none;
    border-radius: calc(var(--_radius) * 0.75);
    padding: 6px 14px;
    min-height: 2.4em;
  }
`;
