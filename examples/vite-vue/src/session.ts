/** The chat token and server URL for the shopper, from the shop's own backend (server.mjs). */
export interface ChatSession {
  user: string;
  token: string;
  url: string;
}

export async function chatSession(user: string): Promise<ChatSession> {
  const res = await fetch(`/api/parley-session?as=${encodeURIComponent(user)}`);
  if (!res.ok) throw new Error(`no chat session for ${user}: HTTP ${res.status}`);
  return (await res.json()) as ChatSession;
}
