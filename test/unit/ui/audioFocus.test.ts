import { describe, expect, it } from 'vitest';
import { AudioFocus, type FocusPage, type PageMedia } from '../../../ui/media/audioFocus';

type PlayListener = (e: { target: unknown }) => void;

/** A page with light-DOM media and a capturing 'play' listener list, as the document offers. */
class FakePage implements FocusPage {
  readonly listeners = new Set<PlayListener>();
  readonly media: FakeMedia[] = [];
  addEventListener(_type: 'play', l: PlayListener, capture: boolean): void {
    expect(capture).toBe(true); // 'play' does not bubble: only a capturing listener hears it
    this.listeners.add(l);
  }
  removeEventListener(_type: 'play', l: PlayListener): void {
    this.listeners.delete(l);
  }
  querySelectorAll(): Iterable<PageMedia> {
    return this.media;
  }
  /** A light-DOM media element starts playing. */
  play(m: FakeMedia): void {
    m.paused = false;
    for (const l of [...this.listeners]) l({ target: m });
  }
}

class FakeMedia implements PageMedia {
  paused = true;
  pauses = 0;
  pause(): void {
    this.pauses++;
    this.paused = true;
  }
}

class FakePlayer {
  playing = false;
  pauses = 0;
  constructor(private readonly focus: AudioFocus) {}
  play(): void {
    this.focus.acquire(this);
    this.playing = true;
  }
  pause(): void {
    this.pauses++;
    this.playing = false;
  }
}

function setup() {
  const page = new FakePage();
  const focus = new AudioFocus(() => page);
  return { page, focus, player: () => new FakePlayer(focus) };
}

describe('audio focus', () => {
  it('lets one kit player play at a time, across elements', () => {
    const { focus, player } = setup();
    const a = player();
    const b = player();
    focus.register(a);
    focus.register(b);
    a.play();
    expect(a.playing).toBe(true);
    b.pauses = 0;
    b.play();
    expect(b.playing).toBe(true);
    expect(a.playing).toBe(false);
    expect(b.pauses).toBe(0); // the one starting is never paused by its own start
  });

  it('pauses the page’s playing media when a kit player starts, leaving paused ones alone', () => {
    const { page, focus, player } = setup();
    const video = new FakeMedia();
    const idle = new FakeMedia();
    page.media.push(video, idle);
    const p = player();
    focus.register(p);
    page.play(video);
    p.play();
    expect(video.paused).toBe(true);
    expect(idle.pauses).toBe(0);
  });

  it('pauses the kit’s players when page media starts', () => {
    const { page, focus, player } = setup();
    const a = player();
    const b = player();
    focus.register(a);
    focus.register(b);
    a.play();
    const audio = new FakeMedia();
    page.media.push(audio);
    page.play(audio);
    expect(a.playing).toBe(false);
    expect(audio.paused).toBe(false);
  });

  it('finds media that started before any player registered', () => {
    const { page, focus, player } = setup();
    const early = new FakeMedia();
    page.media.push(early);
    early.paused = false; // started while no listener existed
    const p = player();
    focus.register(p);
    p.play();
    expect(early.paused).toBe(true);
  });

  it('listens to the page only while players are registered', () => {
    const { page, focus, player } = setup();
    const offA = focus.register(player());
    const offB = focus.register(player());
    expect(page.listeners.size).toBe(1);
    offA();
    expect(page.listeners.size).toBe(1);
    offB();
    offB(); // twice is harmless
    expect(page.listeners.size).toBe(0);
    expect(focus.size).toBe(0);
    focus.register(player());
    expect(page.listeners.size).toBe(1);
  });

  it('silence() pauses every player and the page media (before recording)', () => {
    const { page, focus, player } = setup();
    const p = player();
    focus.register(p);
    p.play();
    const audio = new FakeMedia();
    page.media.push(audio);
    audio.paused = false;
    focus.silence();
    expect(p.playing).toBe(false);
    expect(audio.paused).toBe(true);
  });

  it('works without a page (Node)', () => {
    const focus = new AudioFocus(() => null);
    const p = new FakePlayer(focus);
    const off = focus.register(p);
    p.play();
    focus.silence();
    expect(p.playing).toBe(false);
    off();
  });
});
