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

/** In-memory message store; a sample, so nothing survives a restart. */
@Injectable()
export class MessagesService {
  private readonly messages = new Map<string, Message>();

  list(): Message[] {
    return [...this.messages.values()];
  }

  create(text: string, author: string): Message {
    const message: Message = {
      id: randomUUID(),
      text,
      author,
      createdAt: new Date().toISOString(),
    };
    this.messages.set(message.id, message);
    return message;
  }

  /** Removes a message; false when there was none with this id. */
  remove(id: string): boolean {
    return this.messages.delete(id);
  }
}
