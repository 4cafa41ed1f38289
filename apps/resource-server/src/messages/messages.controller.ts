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
  type Type,
} from '@nestjs/common';
import type { AccessToken, RateLimitStore } from '@tokenward/core';
import { Auth, RateLimit, RiskBelow, Roles, Scopes } from '@tokenward/nest';
import type { QuotaSettings, TrafficPlan } from '../config/traffic-settings';
import { RATE_LIMIT_PREFIX } from '../traffic/rate-limit-store-binding';
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

/** Deleting needs a risk score below this when the anomaly detectors run. */
export const DELETE_RISK_LIMIT = 50;

/** A decorator that adds nothing, for requirements a configuration leaves out. */
const none: MethodDecorator = () => undefined;

/** One window of a quota, in `@RateLimit`'s terms. */
const windowOf = ({ points, duration }: QuotaSettings) => [{ points, duration }];

/**
 * The messages API for a traffic plan. Every route needs a valid token (the guard is global);
 * each adds the scope or role it needs. The guard checks them before the handler runs, so
 * `DELETE` answers 403 to a non-admin before looking the message up (no 404-based probing).
 *
 * Each route has its own rate limit, counted by the token's subject (per issuer) after the scope
 * or role check: `plan.rateLimit` per subject, and on `GET` the higher `plan.goldRateLimit` for
 * tokens with the scope `tier:gold`. The class is made per app because the quotas come from the
 * configuration; `store` is the app's store binding (see `RateLimitStoreBinding`). With the
 * anomaly detectors on (`TOKENWARD_ANOMALIES=on`), `DELETE` also needs a risk score below
 * {@link DELETE_RISK_LIMIT}: a token seen from too many addresses cannot delete.
 *
 * @example `controllers: [messagesController(trafficPlan(config.traffic), binding.store)]`
 */
export function messagesController(plan: TrafficPlan, store: RateLimitStore): Type {
  @Controller('api/messages')
  class MessagesController {
    constructor(private readonly messages: MessagesService) {}

    @Scopes('messages:read')
    @RateLimit({
      key: 'subject',
      name: 'messages-read',
      prefix: RATE_LIMIT_PREFIX,
      limits: windowOf(plan.rateLimit),
      tiers: [{ scope: 'tier:gold', limits: windowOf(plan.goldRateLimit) }],
      store,
    })
    @Get()
    list(): Message[] {
      return this.messages.list();
    }

    @Scopes('messages:write')
    @RateLimit({
      key: 'subject',
      name: 'messages-write',
      limits: windowOf(plan.rateLimit),
      prefix: RATE_LIMIT_PREFIX,
      store,
    })
    @Post()
    create(@Body() body: unknown, @Auth() auth: AccessToken): Message {
      return this.messages.create(textOf(body), auth.subject ?? auth.clientId ?? 'unknown');
    }

    @Roles('admin')
    @(plan.anomalies === undefined ? none : RiskBelow(DELETE_RISK_LIMIT))
    @RateLimit({
      key: 'subject',
      name: 'messages-delete',
      limits: windowOf(plan.rateLimit),
      prefix: RATE_LIMIT_PREFIX,
      store,
    })
    @Delete(':id')
    @HttpCode(HttpStatus.NO_CONTENT)
    remove(@Param('id') id: string): void {
      if (!this.messages.remove(id)) throw new NotFoundException(`no message with id ${id}`);
    }
  }
  return MessagesController;
}
