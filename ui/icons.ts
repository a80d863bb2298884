/**
 * The kit's icons, inline SVG drawn with `currentColor`: an emoji glyph on a button renders as an
 * empty box on a machine without an emoji font, and takes the platform's colours instead of the
 * theme's. Each is decorative (aria-hidden): the button around it carries the accessible name.
 * 24×24 strokes, sized by the surrounding font (1.25em).
 */
import { svg, type SVGTemplateResult } from 'lit';

const icon = (body: SVGTemplateResult): SVGTemplateResult =>
  svg`<svg class="icon" viewBox="0 0 24 24" width="1.25em" height="1.25em" fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;

export const ICONS = {
  /** Opens the emoji panel. */
  smile: icon(svg`<circle cx="12" cy="12" r="9" /><path d="M8.5 14.5a4.5 4.5 0 0 0 7 0" /><path d="M9 9.5h.01M15 9.5h.01" />`),
  /** Sends a picture. */
  image: icon(svg`<rect x="3" y="4" width="18" height="16" rx="2" /><circle cx="9" cy="10" r="1.5" /><path d="m21 16-5-5-9 9" />`),
  /** Records a voice message. */
  mic: icon(svg`<rect x="9" y="3" width="6" height="11" rx="3" /><path d="M5 11a7 7 0 0 0 14 0M12 18v3" />`),
  /** Opens the "more" panel. */
  plus: icon(svg`<path d="M12 5v14M5 12h14" />`),
  /** Closes a panel or the lightbox. */
  close: icon(svg`<path d="M6 6l12 12M18 6 6 18" />`),
  /** The widget's launcher. */
  chat: icon(svg`<path d="M4 5h16v11H9l-5 4z" />`),
} as const;
