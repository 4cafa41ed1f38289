import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import type { AccessToken } from '@tokenward/core';
import { Auth, Roles, Scopes } from '@tokenward/nest';
import { MessagesService, type Message } from './messages.service';

/** Longest message text, in characters. */
export const MAX_TEXT_LENGTH = 500;

function textOf(body: unknown): string {
  const text = (body as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string') {
    throw new BadRequestException('text: expected a JSON body { "text": "…" } with a string');
  }
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > MAX_TEXT_LENGTH) {
    throw new BadRequestException(`text: expected 1 to ${MAX_TEXT_LENGTH} characters`);
  }
  return trimmed;
}

/**
 * The messages API. Every route needs a valid token (the guard is global); each adds the scope or
 * role it needs. The guard checks them before the handler runs, so `DELETE` answers 403 to a
 * non-admin before looking the message up (no 404-based probing).
 */
@Controller('api/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Scopes('messages:read')
  @Get()
  list(): Message[] {
    return this.messages.list();
  }

  @Scopes('messages:write')
  @Post()
  create(@Body() body: unknown, @Auth() auth: AccessToken): Message {
    return this.messages.create(textOf(body), auth.subject ?? auth.clientId ?? 'unknown');
  }

  @Roles('admin')
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@Param('id') id: string): void {
    if (!this.messages.remove(id)) throw new NotFoundException(`no message with id ${id}`);
  }
}
