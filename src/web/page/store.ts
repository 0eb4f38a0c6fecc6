/**
 * What the page knows of the user's messages, by id: the history pages it
 * loaded, what arrived live, what it sent and what it read. Each id is held
 * once, so a message that comes both live and in a history page is shown
 * once. Conversations, threads and the history list are views of it.
 */
import type { WireMessage } from "../protocol.ts";

export interface Partner {
  name: string;
  unread: number;
  lastId: number;
}

export class MessageStore {
  me: string | null = null;
  private readonly messages = new Map<number, WireMessage>();
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Adds messages not held yet; returns those that are new. */
  add(messages: readonly WireMessage[]): WireMessage[] {
    const added = messages.filter((message) => !this.messages.has(message.id));
    for (const message of added) this.messages.set(message.id, message);
    if (added.length > 0) this.changed();
    return added;
  }

  remove(ids: readonly number[]): WireMessage[] {
    const removed = ids.map((id) => this.messages.get(id)).filter((message): message is WireMessage => message !== undefined);
    for (const message of removed) this.messages.delete(message.id);
    if (removed.length > 0) this.changed();
    return removed;
  }

  markRead(ids: readonly number[]): void {
    for (const id of ids) {
      const message = this.messages.get(id);
      if (message) this.messages.set(id, { ...message, read: true });
    }
    if (ids.length > 0) this.changed();
  }

  clear(): void {
    this.messages.clear();
    this.changed();
  }

  /** Oldest first. */
  all(): WireMessage[] {
    return [...this.messages.values()].sort((a, b) => a.id - b.id);
  }

  oldestId(): number {
    return Math.min(...this.messages.keys());
  }

  partnerOf(message: WireMessage): string {
    return message.sender === this.me ? message.recipient : message.sender;
  }

  isUnreadForMe(message: WireMessage): boolean {
    return message.recipient === this.me && !message.read;
  }

  thread(partner: string): WireMessage[] {
    return this.all().filter((message) => this.partnerOf(message) === partner);
  }

  /** Everyone the user has messages with, the most recent conversation first. */
  partners(): Partner[] {
    const byName = new Map<string, Partner>();
    for (const message of this.all()) {
      const name = this.partnerOf(message);
      const partner = byName.get(name) ?? { name, unread: 0, lastId: 0 };
      partner.lastId = message.id;
      if (this.isUnreadForMe(message)) partner.unread += 1;
      byName.set(name, partner);
    }
    return [...byName.values()].sort((a, b) => b.lastId - a.lastId);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
