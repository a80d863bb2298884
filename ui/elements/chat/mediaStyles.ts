/** Layout of image and voice messages, the upload bar, and the composer's recorder and notes. */
import { css } from 'lit';

export const mediaStyles = css`
  /* A picture is its own bubble: no padding or colour around it. */
  .bubble:has(> .image-frame) {
    padding: 0;
    background: none;
  }
  /*
   * The thumbnail's box is final before any byte arrives: the content's width and height (--_iw,
   * --_ih, set inline) fitted into the max box, never upscaled, with the aspect ratio kept. Very
   * thin pictures get a minimum size and are cropped (object-fit: cover) rather than a sliver.
   */
  .image-frame {
    position: relative;
    display: block;
    inline-size: min(var(--_image-max-w), calc(var(--_image-max-h) * var(--_iw) / var(--_ih)), calc(var(--_iw) * 1px));
    aspect-ratio: var(--_iw) / var(--_ih);
    min-inline-size: 48px;
    min-block-size: 48px;
    max-inline-size: 100%;
    max-block-size: var(--_image-max-h);
  }
  .image-open {
    display: block;
    inline-size: 100%;
    block-size: 100%;
    padding: 0;
    border: none;
    border-radius: calc(var(--_radius) * 0.75);
    overflow: hidden;
    background: var(--_image-placeholder);
    cursor: zoom-in;
  }
  .image-frame[data-status='loading'] .image-open {
    animation: parley-pulse 1.2s ease-in-out infinite alternate;
  }
  @keyframes parley-pulse {
    to {
      opacity: 0.6;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .image-frame[data-status='loading'] .image-open {
      animation: none;
    }
  }
  .image {
    display: block;
    inline-size: 100%;
    block-size: 100%;
    object-fit: cover;
  }
  .image-error {
    display: grid;
    place-items: center;
    block-size: 100%;
    padding: var(--_gap);
    font-size: 0.8em;
    color: var(--_muted);
  }
  /* Drawn by hand (not the platform's bar) so it reads on a photo and on either bubble colour. */
  .upload-progress {
    appearance: none;
    display: block;
    inline-size: 100%;
    block-size: 4px;
    margin-block-start: 6px;
    border: none;
    border-radius: 2px;
    overflow: hidden;
    color: inherit;
    background: color-mix(in srgb, currentColor 30%, transparent);
  }
  .upload-progress::-webkit-progress-bar {
    background: transparent;
  }
  .upload-progress::-webkit-progress-value {
    background: currentColor;
    transition: inline-size 0.2s;
  }
  .upload-progress::-moz-progress-bar {
    background: currentColor;
  }
  .upload-progress:indeterminate {
    background: linear-gradient(90deg, transparent 0 35%, currentColor 35% 65%, transparent 65%) 0 0 / 300% 100%,
      color-mix(in srgb, currentColor 30%, transparent);
    animation: parley-indeterminate 1.2s linear infinite;
  }
  .upload-progress:indeterminate::-moz-progress-bar {
    background: transparent;
  }
  @keyframes parley-indeterminate {
    from {
      background-position: 100% 0, 0 0;
    }
    to {
      background-position: -50% 0, 0 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .upload-progress:indeterminate {
      animation: none;
    }
  }
  .image-frame .upload-progress {
    position: absolute;
    inset-inline: 8px;
    inset-block-end: 8px;
    inline-size: auto;
    margin: 0;
    color: #fff;
    background-color: rgb(0 0 0 / 0.35);
    box-shadow: 0 0 2px rgb(0 0 0 / 0.4);
  }
  .voice-message {
    display: flex;
    flex-direction: column;
  }
  .composer-note,
  .notice {
    font-size: 0.85em;
    color: var(--_muted);
  }
  .recorder {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_gap);
    padding: var(--_gap);
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.75);
  }
  .rec-dot {
    inline-size: 10px;
    block-size: 10px;
    border-radius: 50%;
    background: var(--_recording);
  }
  .recorder[data-status='recording'] .rec-dot {
    animation: parley-pulse 0.8s ease-in-out infinite alternate;
  }
  .recorder[data-status='requesting'] .rec-dot {
    background: var(--_muted);
  }
  .rec-timer {
    font-variant-numeric: tabular-nums;
    font-weight: 600;
  }
  .rec-meter {
    flex: 1 1 2em;
    min-inline-size: 2em;
    block-size: 4px;
    accent-color: var(--_recording);
  }
  .rec-button {
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.5);
    background: none;
    padding: 2px 10px;
  }
  .rec-send {
    border-color: var(--_accent);
    background: var(--_accent);
    color: var(--_accent-text);
  }
`;
