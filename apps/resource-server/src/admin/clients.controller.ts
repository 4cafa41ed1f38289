import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Put,
  type Type,
} from '@nestjs/common';
import { AllowFrom, Roles, Scopes } from '@tokenward/nest';
import { CLIENT_ID_RULE, isClientId } from '../config/env-checks';
import { TRAFFIC, type TrafficControl } from '../traffic/traffic.provider';
import { runStoreOperation } from './store-operation';

/** The client id of a path, checked (a bad one is a 400 saying what is expected). */
function clientIdOf(id: string): string {
  if (!isClientId(id)) throw new BadRequestException(`clientId: expected ${CLIENT_ID_RULE}`);
  return id;
}

/**
 * The operators' approved-client API, mounted when `TOKENWARD_APPROVED_CLIENTS` is set: `GET`
 * lists the approved clients, `PUT /:id` approves one, `DELETE /:id` withdraws one (both
 * idempotent, 204). A withdrawn client's tokens are refused (403 `ERR_CLIENT_NOT_APPROVED`) from
 * the next request on, on this instance at once and, with `TOKENWARD_REDIS_URL`, on the others
 * within the push delay. Every route needs the `admin` role **and** a clients scope
 * (`clients:read` for `GET`, `clients:write` otherwise), and answers only callers in
 * `allowFrom`. A store that cannot answer is a 503, never a 500.
 *
 * @example `controllers: [clientsController(['127.0.0.1', '::1'])]`
 */
export function clientsController(allowFrom: readonly string[]): Type {
  @AllowFrom(...allowFrom)
  @Roles('admin')
  @Controller('admin/clients')
  class ClientsController {
    constructor(@Inject(TRAFFIC) private readonly traffic: TrafficControl) {}

    @Scopes('clients:read')
    @Get()
    async list(): Promise<string[]> {
      return this.run(async () => this.clients().list());
    }

    @Scopes('clients:write')
    @Put(':id')
    @HttpCode(HttpStatus.NO_CONTENT)
    async approve(@Param('id') id: string): Promise<void> {
      const clientId = clientIdOf(id);
      await this.run(async () => this.clients().approve(clientId));
    }

    @Scopes('clients:write')
    @Delete(':id')
    @HttpCode(HttpStatus.NO_CONTENT)
    async withdraw(@Param('id') id: string): Promise<void> {
      const clientId = clientIdOf(id);
      await this.run(async () => this.clients().withdraw(clientId));
    }

    private clients() {
      // Mounted only with a list (app.module.ts); present whenever a route runs.
      return this.traffic.approvedClients as NonNullable<TrafficControl['approvedClients']>;
    }

    /** Runs a list operation: a bad argument is a 400, a store that cannot answer a 503. */
    private run<T>(operation: () => Promise<T>): Promise<T> {
      return runStoreOperation(
        operation,
        'the approved-client list cannot be read or changed right now; retry later',
      );
    }
  }
  return ClientsController;
}
