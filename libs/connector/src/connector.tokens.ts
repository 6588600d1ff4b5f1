/** Injection tokens of libs/connector. */
export const CONNECTOR_MODULE_OPTIONS = Symbol('CONNECTOR_MODULE_OPTIONS');
export const CONNECTOR_DEFINITIONS = Symbol('CONNECTOR_DEFINITIONS');
