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
  type Type,
} from '@nestjs/common';
import { revocationId, type AccessToken, type RevocationEntry } from '@tokenward/core';
import { AllowFrom, Auth, Roles, Scopes } from '@tokenward/nest';
import { REVOCATION, type RevocationHolder } from '../lifecycle/revocation.provider';
import { parseRevocationRequest } from './revocation-request';
import { runStoreOperation } from './store-operation';

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
    async list(@Auth() auth: AccessToken) {
      const issuer = this.issuerOf(auth);
      const entries = await this.run(() => this.revocation.list.list());
      return entries.filter((e) => e.issuer === issuer).map(present);
    }

    @Scopes('revocations:write')
    @Post()
    @HttpCode(HttpStatus.CREATED)
    async revoke(@Body() body: unknown, @Auth() auth: AccessToken) {
      const request = parseRevocationRequest(body);
      const { list } = this.revocation;
      const issuer = this.issuerOf(auth);
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
          e.issuer === issuer &&
          (e.kind === 'token' ? e.jti : e.kind === 'subject' ? e.subject : e.clientId) === wanted,
      );
      return entry === undefined ? {} : present(entry);
    }

    @Scopes('revocations:write')
    @Delete(':id')
    @HttpCode(HttpStatus.NO_CONTENT)
    async remove(@Param('id') id: string, @Auth() auth: AccessToken): Promise<void> {
      if (!/^[A-Za-z0-9_-]{1,2048}$/.test(id))
        throw new BadRequestException('id: expected an entry id from GET');
      const entryId = Buffer.from(id, 'base64url').toString();
      // An entry of another tenant is, to this admin, no entry at all.
      if (!this.names(entryId, this.issuerOf(auth)))
        throw new NotFoundException('no such revocation');
      const removed = await this.run(() => this.revocation.list.remove(entryId));
      if (!removed) throw new NotFoundException('no such revocation');
    }

    /** The issuer this admin's revocations name: the app's, or their tenant's. */
    private issuerOf(auth: AccessToken): string {
      return this.revocation.perTenant ? auth.issuer : this.revocation.issuer;
    }

    /** Whether an entry id (`revocationId`: `[kind, issuer, …]`) names `issuer`. */
    private names(entryId: string, issuer: string): boolean {
      if (!this.revocation.perTenant) return true;
      try {
        const parts: unknown = JSON.parse(entryId);
        return Array.isArray(parts) && parts[1] === issuer;
      } catch {
        return false;
      }
    }

    /** Runs a list operation: a bad argument is a 400, a store that cannot answer a 503. */
    private run<T>(operation: () => Promise<T>): Promise<T> {
      return runStoreOperation(
        operation,
        'the revocation list cannot be written right now; retry later',
      );
    }
  }
  return RevocationsController;
}
