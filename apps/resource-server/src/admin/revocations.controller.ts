import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
  type Type,
} from '@nestjs/common';
import { revocationId, type RevocationEntry } from '@tokenward/core';
import { AllowFrom, Roles, Scopes } from '@tokenward/nest';
import { REVOCATION, type RevocationHolder } from '../lifecycle/revocation.provider';
import { parseRevocationRequest } from './revocation-request';

/** An entry as the API shows it: dates as ISO strings, and an id fit for a URL. */
function present(entry: RevocationEntry & { id?: string }) {
  const { id: _stored, ...plain } = entry;
  return {
    ...plain,
    id: Buffer.from(revocationId(plain as RevocationEntry)).toString('base64url'),
    expiresAt: entry.expiresAt.toISOString(),
    ...('before' in entry && { before: entry.before.toISOString() }),
  };
}

/**
 * The operators' revocation API: `POST` revokes a token (by `jti`), a subject or a client,
 * `GET` lists what is revoked, `DELETE /:id` withdraws an entry. Every route needs the `admin`
 * role **and** a revocations scope: a token with only one of them gets 403. It answers only
 * callers in `allowFrom` (default loopback, `TOKENWARD_ADMIN_ALLOW_FROM`); anyone else gets 403
 * `ERR_IP_NOT_ALLOWED`. The class is made per app because the networks come from the
 * configuration.
 *
 * @example `controllers: [revocationsController(['127.0.0.1', '::1'])]`
 */
export function revocationsController(allowFrom: readonly string[]): Type {
  @AllowFrom(...allowFrom)
  @Roles('admin')
  @Controller('admin/revocations')
  class RevocationsController {
    constructor(@Inject(REVOCATION) private readonly revocation: RevocationHolder) {}

    @Scopes('revocations:read')
    @Get()
    async list() {
      return (await this.run(() => this.revocation.list.list())).map(present);
    }

    @Scopes('revocations:write')
    @Post()
    @HttpCode(HttpStatus.CREATED)
    async revoke(@Body() body: unknown) {
      const request = parseRevocationRequest(body);
      const { issuer, list } = this.revocation;
      await this.run(() => {
        switch (request.kind) {
          case 'token':
            return list.revokeToken({ issuer, jti: request.jti, expiresAt: request.expiresAt });
          case 'subject':
            return list.revokeSubject({
              issuer,
              subject: request.subject,
              ...(request.before && { before: request.before }),
            });
          default:
            return list.revokeClient({
              issuer,
              clientId: request.clientId,
              ...(request.before && { before: request.before }),
            });
        }
      });
      const entries = await this.run(() => list.list());
      const wanted =
        request.kind === 'token'
          ? request.jti
          : request.kind === 'subject'
            ? request.subject
            : request.clientId;
      const entry = entries.find(
        (e) =>
          e.kind === request.kind &&
          (e.kind === 'token' ? e.jti : e.kind === 'subject' ? e.subject : e.clientId) === wanted,
      );
      return entry === undefined ? {} : present(entry);
    }

    @Scopes('revocations:write')
    @Delete(':id')
    @HttpCode(HttpStatus.NO_CONTENT)
    async remove(@Param('id') id: string): Promise<void> {
      if (!/^[A-Za-z0-9_-]{1,2048}$/.test(id))
        throw new BadRequestException('id: expected an entry id from GET');
      const removed = await this.run(() =>
        this.revocation.list.remove(Buffer.from(id, 'base64url').toString()),
      );
      if (!removed) throw new NotFoundException('no such revocation');
    }

    /** Runs a list operation: a bad argument is a 400, a store that cannot answer a 503. */
    private async run<T>(operation: () => Promise<T>): Promise<T> {
      try {
        return await operation();
      } catch (error) {
        if (error instanceof TypeError) throw new BadRequestException(error.message);
        throw new ServiceUnavailableException(
          'the revocation list cannot be written right now; retry later',
        );
      }
    }
  }
  return RevocationsController;
}
