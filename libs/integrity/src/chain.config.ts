import { z } from 'zod';
import { parseSigningKeys } from './checkpoint.codec';

/**
 * The hash chain's settings (docs/integrity.md). `VIGIL_CHAIN_SIGNING_KEYS`: `id:base64,...` Ed25519 PKCS#8 keys,
 * the first signs, the others stay listed so their public keys are served after a rotation; unset, checkpoints are not
 * signed (the chain itself still is kept). A bad entry fails the start with a message that never quotes key material.
 */
export const chainEnv = {
  VIGIL_CHAIN_SIGNING_KEYS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined || value.trim() === '') return;
      try {
        parseSigningKeys(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** How often each chain's head is signed at most (hours; default daily). */
  VIGIL_CHECKPOINT_INTERVAL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
};
