/** A tiny Prometheus registry: counters and gauges rendered in the text exposition format. */
type Labels = Record<string, string>;

interface Series {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>;
}

const labelKey = (labels: Labels | undefined): string =>
  labels
    ? Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',')
    : '';

export class Metrics {
  private readonly series = new Map<string, Series>();

  private get(name: string, type: Series['type'], help: string): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { help, type, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }

  counter(name: string, help: string) {
    const s = this.get(name, 'counter', help);
    return {
      inc: (by = 1, labels?: Labels) => {
        const k = labelKey(labels);
        s.values.set(k, (s.values.get(k) ?? 0) + by);
      },
    };
  }

  gauge(name: string, help: string) {
    const s = this.get(name, 'gauge', help);
    s.values.set('', 0);
    return {
      inc: () => s.values.set('', (s.values.get('') ?? 0) + 1),
      dec: () => s.values.set('', (s.values.get('') ?? 0) - 1),
      set: (v: number) => s.values.set('', v),
    };
  }

  render(): string {
    const out: string[] = [];
    for (const [name, s] of this.series) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      if (s.values.size === 0) out.push(`${name} 0`);
      for (const [k, v] of s.values) out.push(k ? `${name}{${k}} ${v}` : `${name} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}

/** The server's metrics, created once per server. */
export function serverMetrics() {
  const m = new Metrics();
  return {
    registry: m,
    connections: m.gauge('parley_ws_connections', 'Open authenticated WebSocket connections.'),
    unauthenticated: m.gauge('parley_ws_unauthenticated', 'Open WebSocket connections that have not authenticated yet.'),
    refusedUpgrades: m.counter('parley_ws_refused_total', 'WebSocket upgrades refused, by reason (origin, path, too_many_unauthenticated).'),
    messagesStored: m.counter('parley_messages_stored_total', 'Messages durably stored (duplicates not counted).'),
    framesReceived: m.counter('parley_frames_received_total', 'Frames received from clients.'),
    pushesSent: m.counter('parley_pushes_sent_total', 'Push frames sent, resends included.'),
    pushesResent: m.counter('parley_pushes_resent_total', 'Push frames sent again because no ack came in time.'),
    errors: m.counter('parley_errors_total', 'Error responses and error frames, by code.'),
    kicks: m.counter('parley_kicks_total', 'Sessions ended by a kick, by reason.'),
    rebuilds: m.counter('parley_rebuilds_total', 'Devices started at the head instead of a replay, by reason (new_device, pruned).'),
    resyncs: m.counter('parley_resyncs_total', 'Devices told to roll back: their cursor was past the history the server still holds.'),
    mediaUploads: m.counter(
      'parley_media_uploads_total',
      'Media uploads by result: stored (a new file), repeat (a retried uploadId answered with the first file) or aborted (cut off, nothing kept).',
    ),
  };
}
export type ServerMetrics = ReturnType<typeof serverMetrics>;
