import { describe, expect, it } from 'vitest';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../../client/ParleyClient';
import type { ConnectionState } from '../../../worker/connection/state';
import type { LocalConversation } from '../../../worker/store/types';
import { ShopConversationController, type ShopConversationSource } from '../../../ui/controllers/ShopConversationController';

/** A host that runs its controllers' hooks only when the test says, as Lit would before a render. */
class FakeHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  updatesRequested = 0;
  readonly updateComplete = Promise.resolve(true);
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updatesRequested++;
  }
  connect(): void {
    for (const c of this.controllers) c.hostConnected?.();
  }
  update(): void {
    for (const c of this.controllers) c.hostUpdate?.();
  }
}

/** A client whose conversations.create calls wait until the test settles them. */
class FakeClient {
  readonly creates: { shopId: string; resolve: (id: string) => void; reject: (code: string) => void }[] = [];
  private stateListeners = new Set<(e: { state: ConnectionState }) => void>();

  request(type: string, params: { shopId: string }): Promise<{ conversation: { id: string } }> {
    expect(type).toBe('conversations.create');
    return new Promise((resolve, reject) => {
      this.creates.push({
        shopId: params.shopId,
        resolve: (id) => resolve({ conversation: { id } }),
        reject: (code) => reject(Object.assign(new Error(code), { name: 'ParleyError', code })),
      });
    });
  }

  on(type: string, listener: (e: { state: ConnectionState }) => void): () => void {
    expect(type).toBe('state');
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  goOnline(): void {
    for (const l of this.stateListeners) l({ state: { status: 'online' } as ConnectionState });
  }

  get listeners(): number {
    return this.stateListeners.size;
  }

  asClient(): ParleyClient {
    return this as unknown as ParleyClient;
  }
}

function setup(initial: Partial<ShopConversationSource> = {}) {
  const host = new FakeHost();
  const source: ShopConversationSource = { client: null, shopId: 'shop-1', conversations: [], wanted: false, ...initial };
  const failures: string[] = [];
  const controller = new ShopConversationController(host, () => source, (info) => failures.push(info.code));
  host.connect();
  return { host, source, controller, failures };
}

describe('ShopConversationController', () => {
  it('opens the conversation once the client arrives after the panel was opened', async () => {
    const { host, source, controller } = setup({ wanted: true });
    expect(await controller.resolve()).toBeNull();
    const client = new FakeClient();
    source.client = client.asClient();
    host.update();
    expect(client.creates.map((c) => c.shopId)).toEqual(['shop-1']);
    const attempt = controller.resolve(); // joins the one under way
    client.creates[0]!.resolve('conv-1');
    expect(await attempt).toBe('conv-1');
    expect(controller.id).toBe('conv-1');
  });

  it('opens it once the shop id arrives', () => {
    const client = new FakeClient();
    const { host, source } = setup({ client: client.asClient(), shopId: null, wanted: true });
    host.update();
    expect(client.creates).toHaveLength(0);
    source.shopId = 'shop-2';
    host.update();
    expect(client.creates.map((c) => c.shopId)).toEqual(['shop-2']);
  });

  it('asks nothing while not wanted, and takes a local conversation without asking', () => {
    const client = new FakeClient();
    const { host, source, controller } = setup({ client: client.asClient() });
    host.update();
    expect(client.creates).toHaveLength(0);
    source.conversations = [{ id: 'local-1', kind: 'direct', shopId: 'shop-1' } as LocalConversation];
    source.wanted = true;
    host.update();
    expect(controller.id).toBe('local-1');
    expect(client.creates).toHaveLength(0);
  });

  it('does not repeat a failed attempt on every render, but does when the connection comes online', async () => {
    const client = new FakeClient();
    const { host, controller, failures } = setup({ client: client.asClient(), wanted: true });
    host.update();
    const failed = controller.resolve();
    client.creates[0]!.reject('LOGGED_IN_ELSEWHERE');
    expect(await failed).toBeNull();
    expect(controller.error).toBe('LOGGED_IN_ELSEWHERE');
    expect(failures).toEqual(['LOGGED_IN_ELSEWHERE']);
    host.update();
    host.update();
    expect(client.creates).toHaveLength(1);

    client.goOnline();
    expect(client.creates).toHaveLength(2);
    expect(controller.error).toBe('');
    const retried = controller.resolve();
    client.creates[1]!.resolve('conv-1');
    expect(await retried).toBe('conv-1');
    expect(controller.id).toBe('conv-1');
  });

  it('joins the attempt under way instead of making a second one', () => {
    const client = new FakeClient();
    const { host, controller } = setup({ client: client.asClient(), wanted: true });
    host.update();
    void controller.resolve();
    client.goOnline();
    host.update();
    expect(client.creates).toHaveLength(1);
  });

  it('drops an answer meant for the previous client, and listens to the new one only', async () => {
    const first = new FakeClient();
    const { host, source, controller, failures } = setup({ client: first.asClient(), wanted: true });
    host.update();
    const firstAttempt = controller.resolve();
    const second = new FakeClient();
    source.client = second.asClient();
    host.update();
    expect(second.creates).toHaveLength(1);
    const secondAttempt = controller.resolve();
    first.creates[0]!.resolve('conv-of-first');
    await firstAttempt;
    expect(controller.id).toBeNull();
    expect(first.listeners).toBe(0);
    second.creates[0]!.reject('REQUEST_TIMEOUT');
    await secondAttempt;
    expect(failures).toEqual(['REQUEST_TIMEOUT']);
  });
});
