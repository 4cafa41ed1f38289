import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Verifier } from '@tokenward/core';
import { Public, TOKENWARD_VERIFIER } from '@tokenward/nest';
import type { Response } from 'express';
import { APP_CONFIG } from '../config/runtime.module';
import type { AppConfig } from '../config/app-config';

/** `GET /health`: public; 503 while the issuer's keys cannot be obtained. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier,
  ) {}

  @Public()
  @Get()
  async health(@Res({ passthrough: true }) res: Response) {
    const { ready, sources } = await this.verifier.health();
    if (!ready) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: ready ? 'ok' : 'unavailable',
      mode: this.config.mode,
      keys: sources.map((source) => ({ kind: source.kind, status: source.status })),
    };
  }
}
