import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** A stored message. */
export interface Message {
  readonly id: string;
  readonly text: string;
  /** The `sub` of the token that created it (or its client, for a client-credentials token). */
  readonly author: string;
  readonly createdAt: string;
}

/** Most messages the store holds; creating one more evicts the oldest. */
export const MAX_MESSAGES = 100;

/**
 * In-memory message store; a sample, so nothing survives a restart. Bounded: at most
 * {@link MAX_MESSAGES} messages, the oldest evicted first, so no client can grow the process
 * without limit (text length is bounded by the controller).
 */
@Injectable()
export class MessagesService {
  // A Map iterates in insertion order: its first key is the oldest message.
  private readonly messages = new Map<string, Message>();

  /** Every stored message, oldest first. */
  list(): Message[] {
    return [...this.messages.values()];
  }

  /** Stores a message, evicting the oldest when {@link MAX_MESSAGES} are already held. */
  create(text: string, author: string): Message {
    const message: Message = {
      id: randomUUID(),
      text,
      author,
      createdAt: new Date().toISOString(),
    };
    if (this.messages.size >= MAX_MESSAGES) {
      this.messages.delete(this.messages.keys().next().value as string);
    }
    this.messages.set(message.id, message);
    return message;
  }

  /** Removes a message; false when there was none with this id. */
  remove(id: string): boolean {
    return this.messages.delete(id);
  }
}
