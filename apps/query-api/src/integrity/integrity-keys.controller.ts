import { Controller, Get, Inject } from '@nestjs/common';
import { APP_CONFIG } from '@vigil/config';
import { parseSigningKeys, publicKeysDocument, type PublicKeysDocument } from '@vigil/integrity';
import type { QueryApiConfig } from '../query-api.config';

/**
 * `GET /v1/integrity/keys`: the public halves of the checkpoint signing keys (VIGIL_CHAIN_SIGNING_KEYS), the active
 * one first, as `vigil verify --public-keys` reads them. Any authenticated caller may read them; the private keys never
 * leave the environment.
 */
@Controller('v1/integrity')
export class IntegrityKeysController {
  private readonly document: PublicKeysDocument;

  constructor(@Inject(APP_CONFIG) config: QueryApiConfig) {
    this.document = publicKeysDocument(parseSigningKeys(config.VIGIL_CHAIN_SIGNING_KEYS ?? ''));
  }

  @Get('keys')
  keys(): PublicKeysDocument {
    return this.document;
  }
}
