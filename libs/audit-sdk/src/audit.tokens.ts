/** Injection tokens of libs/audit-sdk. */
export const AUDIT_MODULE_OPTIONS = Symbol('AUDIT_MODULE_OPTIONS');

/** Reflect metadata key under which @Audited stores its action and options. */
export const AUDITED_METADATA = 'vigil:audited';
