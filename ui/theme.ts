/**
 * The kit's theme: every colour, size and font comes from a documented `--parley-*` custom
 * property (see ui/THEME.md), read once on :host into a private `--_*` alias with its default, so a
 * page sets the public name anywhere above the element (or on it) and nothing else.
 */
import { css } from 'lit';

export const themeStyles = css`
  :host {
    --_bg: var(--parley-bg, #ffffff);
    --_text: var(--parley-text, #1f2328);
    --_muted: var(--parley-muted, #656d76);
    --_border: var(--parley-border, #d0d7de);
    --_accent: var(--parley-accent, #2563eb);
    --_accent-text: var(--parley-accent-text, #ffffff);
    --_mine-bg: var(--parley-bubble-mine-bg, var(--_accent));
    --_mine-text: var(--parley-bubble-mine-text, var(--_accent-text));
    --_theirs-bg: var(--parley-bubble-theirs-bg, #f0f2f5);
    --_theirs-text: var(--parley-bubble-theirs-text, var(--_text));
    --_danger: var(--parley-danger, #cf222e);
    --_badge-bg: var(--parley-badge-bg, var(--_danger));
    --_badge-text: var(--parley-badge-text, #ffffff);
    --_radius: var(--parley-radius, 12px);
    --_font-size: var(--parley-font-size, 14px);
    --_font: var(--parley-font-family, system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif);
    --_gap: var(--parley-spacing, 8px);
    --_focus: var(--parley-focus-ring, var(--_accent));
    --_image-max-w: var(--parley-image-max-width, 240px);
    --_image-max-h: var(--parley-image-max-height, 240px);
    --_image-placeholder: var(--parley-image-placeholder, #e4e7eb);
    --_recording: var(--parley-recording, var(--_danger));
    font-family: var(--_font);
    font-size: var(--_font-size);
    color: var(--_text);
    line-height: 1.4;
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  button {
    font: inherit;
    color: inherit;
    cursor: pointer;
  }
  button:disabled {
    cursor: default;
    opacity: 0.5;
  }
  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .badge {
    display: inline-block;
    min-width: 1.5em;
    padding: 0 0.4em;
    border-radius: 999px;
    background: var(--_badge-bg);
    color: var(--_badge-text);
    font-size: 0.75em;
    font-weight: 600;
    line-height: 1.5em;
    text-align: center;
  }
`;
