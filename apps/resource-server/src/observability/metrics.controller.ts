import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { Public } from '@tokenward/nest';
import type { Request, Response } from 'express';
import { TELEMETRY } from '../config/runtime.module';
import type { Telemetry } from './telemetry';

/**
 * `GET /metrics`: the Prometheus text exposition of the app's metrics (tokenward's decisions,
 * verification duration, cache look-ups, key fetches, lost audit events). Public here so a local
 * Prometheus can scrape it; in production serve it on an internal port or behind authentication.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(TELEMETRY) private readonly telemetry: Telemetry) {}

  @Public()
  @Get()
  metrics(@Req() req: Request, @Res() res: Response): void {
    this.telemetry.exporter.getMetricsRequestHandler(req, res);
  }
}
