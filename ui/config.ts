/** `<parley-chat>`'s `config` property: page size, composer feature switches and the "more" panel. */

export interface MoreItem {
  /** Stable id, echoed in `parley-more-item`'s detail. */
  id: string;
  /** An emoji/short text, or an http(s) or '/' image URL. */
  icon: string;
  /** Visible label (also the accessible name). */
  label: string;
  /** When true, clicking dispatches `parley-more-item` {id}; when false the item is shown disabled. */
  callback: boolean;
}

export interface ChatConfig {
  /** Messages per page: the live window and each "load older" page. 1..200, default 30. */
  pageSize: number;
  features: {
    /**
     * Voice button: dispatches `parley-feature` {feature: 'voice'}; unless a listener calls
     * preventDefault(), records from the microphone and sends with client.sendVoice. Default false.
     */
    voice: boolean;
    /**
     * Image button: dispatches `parley-feature` {feature: 'image'}; unless a listener calls
     * preventDefault(), opens a file picker and sends with client.sendImage (also images pasted
     * into the input or dropped on the chat). Default false.
     */
    image: boolean;
    /** Emoji picker that inserts into the textarea. Default true. */
    emoji: boolean;
  };
  /** Items of the "more" panel; the "more" button is hidden when empty. */
  more: MoreItem[];
  /** Longest voice recording in milliseconds; recording stops and sends at this length. 1 000..600 000, default 60 000. */
  voiceMaxMs: number;
  /**
   * Origins (e.g. 'https://cdn.shop.example') product and order card images may load from, besides
   * this page's own; default none. Card content comes from the other party: an image on any host
   * would tell that host each reader's IP address and when they read. Images elsewhere are left out.
   */
  cardImageOrigins: string[];
  /**
   * How long after sending an own message shows a Recall action (ms; default 2 minutes, the
   * server's default window). Set it to the server's window for the user's role; 0 hides it.
   */
  recallWindowMs: number;
}

/** What a host may pass: any subset. */
export type ChatConfigInput = Partial<Omit<ChatConfig, 'features'>> & { features?: Partial<ChatConfig['features']> };

export const DEFAULT_CONFIG: ChatConfig = {
  pageSize: 30,
  features: { voice: false, image: false, emoji: true },
  more: [],
  voiceMaxMs: 60_000,
  cardImageOrigins: [],
  recallWindowMs: 2 * 60_000,
};

/** The server accepts voice messages up to 10 minutes. */
const VOICE_MAX_LIMIT_MS = 600_000;

/** Fill defaults and clamp: whatever the host passes, the element gets a whole, sane config. */
export function normalizeConfig(input: ChatConfigInput | null | undefined): ChatConfig {
  const size = Number(input?.pageSize);
  const f = input?.features ?? {};
  const voiceMax = input?.voiceMaxMs == null ? NaN : Number(input.voiceMaxMs);
  return {
    pageSize: Number.isFinite(size) && size >= 1 ? Math.min(200, Math.floor(size)) : DEFAULT_CONFIG.pageSize,
    features: {
      voice: f.voice ?? DEFAULT_CONFIG.features.voice,
      image: f.image ?? DEFAULT_CONFIG.features.image,
      emoji: f.emoji ?? DEFAULT_CONFIG.features.emoji,
    },
    more: Array.isArray(input?.more)
      ? input.more
          .filter((m) => m && typeof m.id === 'string' && typeof m.label === 'string')
          .map((m) => ({ id: m.id, icon: String(m.icon ?? ''), label: m.label, callback: m.callback === true }))
      : [],
    voiceMaxMs: Number.isFinite(voiceMax) ? Math.min(VOICE_MAX_LIMIT_MS, Math.max(1000, Math.floor(voiceMax))) : DEFAULT_CONFIG.voiceMaxMs,
    cardImageOrigins: Array.isArray(input?.cardImageOrigins) ? input.cardImageOrigins.flatMap((o) => originOf(o) ?? []) : [],
    recallWindowMs: Number.isFinite(Number(input?.recallWindowMs)) && Number(input?.recallWindowMs) >= 0 ? Number(input?.recallWindowMs) : DEFAULT_CONFIG.recallWindowMs,
  };
}

/** The origin of an http(s) URL or origin string, or null for anything else. */
function originOf(value: unknown): string | null {
  try {
    const u = new URL(String(value));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
  } catch {
    return null;
  }
}
